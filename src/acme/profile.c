/*
 * profile: which CA gets a certificate profile (profile.h).
 */
#include "acme/profile.h"

#include <string.h>

int profile_offered(const json_t *directory, const char *name)
{
	const json_t *profiles = json_object_get(json_object_get(directory, "meta"), "profiles");

	if (name == NULL || !json_is_object(profiles))
		return 0;
	return json_object_get(profiles, name) != NULL;
}

enum profile_use profile_decide(const char *profile, int required, int offered)
{
	if (profile == NULL || *profile == '\0')
		return PROFILE_NONE;
	if (offered)
		return PROFILE_SEND;
	return required ? PROFILE_SKIP : PROFILE_NONE;
}
