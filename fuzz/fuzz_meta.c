/*
 * libFuzzer target for cert_meta_parse(): meta.json is written by holdfast
 * itself, but a store restored from a backup, edited by hand or damaged by a
 * full disk is read by every command.  Either a meta comes back or NULL
 * (with errno), never a crash; and what comes back survives the round trip
 * the store makes of it (format, parse again) unchanged: a second write of
 * the same meta is byte for byte the first.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert_meta *m = cert_meta_parse((const char *)data, size), *again = NULL;
	char *text = NULL, *text2 = NULL;

	if (m == NULL)
		return 0;
	text = cert_meta_format(m);
	if (text == NULL)
		goto out; /* no memory, or a string jansson will not encode */
	again = cert_meta_parse(text, strlen(text));
	if (again == NULL)
		__builtin_trap(); /* holdfast cannot read what it wrote */
	text2 = cert_meta_format(again);
	if (text2 == NULL || strcmp(text, text2) != 0)
		__builtin_trap(); /* the meta changed on its way through the store */
out:
	free(text);
	free(text2);
	cert_meta_free(again);
	cert_meta_free(m);
	return 0;
}
