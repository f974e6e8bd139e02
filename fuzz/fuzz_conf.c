/*
 * libFuzzer target for conf_load_buffer(): holdfast.conf is operator input,
 * but a config management system may template it from anything.  Either a
 * complete configuration or an error naming file:line comes back.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "conf/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[CONF_ERROR_MAX] = "";
	struct conf *c = conf_load_buffer("fuzz.conf", (const char *)data, size, err, sizeof(err));

	if (c == NULL && strncmp(err, "fuzz.conf:", 10) != 0)
		__builtin_trap(); /* every refusal names the file and line */
	conf_free(c);
	return 0;
}
