/*
 * cli: what every subcommand shares: the mapping of the core's results to
 * process exit codes (the monitoring-plugin convention, cli.h).
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/result.h"
#include "util/url.h"

const char *exit_code_name(int code)
{
	return result_name((enum result)code);
}

void cli_line(const char *fmt, ...)
{
	char line[8192], clean[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_clean(line, clean, sizeof(clean));
	printf("%s\n", clean);
}

void cli_json_line(json_t *o, size_t flags)
{
	char *text = o ? json_dumps(o, flags) : NULL, *clean;
	size_t n;

	json_decref(o);
	if (text == NULL)
		return;
	/* Redaction grows a URL by at most strlen(URL_REDACTED) - 1 bytes, and a
	 * URL takes at least 4 ("a://"): three times the length is enough. */
	n = strlen(text) * 3 + 16;
	clean = malloc(n);
	if (clean != NULL) {
		url_redact(text, clean, n);
		printf("%s\n", clean);
	}
	free(clean);
	free(text);
}
