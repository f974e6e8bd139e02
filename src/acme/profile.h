/*
 * profile: ACME certificate profiles (draft-aaron-acme-profiles, as Let's
 * Encrypt runs them: "classic", "tlsserver", "shortlived").  A CA lists the
 * profiles it offers in its directory's meta.profiles (name -> description);
 * a newOrder names one in "profile".  Which CAs get the profile is decided
 * here, purely, so that the issuer's failover loop only acts on the answer:
 *   - no profile configured: the order names none, at every CA;
 *   - the CA lists it: the order names it;
 *   - the CA does not list it (or lists no profiles at all): with
 *     profile_required = yes (the default) the CA is skipped, the next in
 *     cas is tried (a WARNING in the job); with profile_required = no the
 *     order names none at that CA (the CA's default profile).
 */
#ifndef HOLDFAST_ACME_PROFILE_H
#define HOLDFAST_ACME_PROFILE_H

#include <jansson.h>

enum profile_use {
	PROFILE_NONE, /* no profile in the order */
	PROFILE_SEND, /* the order names the profile */
	PROFILE_SKIP, /* this CA cannot issue it: try the next */
};

/* 1 when the directory's meta.profiles has name, 0 when not (or when the
 * directory has no meta.profiles object). */
int profile_offered(const json_t *directory, const char *name);

/* What to do at a CA with the configured profile (NULL: none), whether it
 * is required, and whether that CA offers it. */
enum profile_use profile_decide(const char *profile, int required, int offered);

#endif
