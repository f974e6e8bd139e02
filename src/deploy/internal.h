/*
 * deploy/internal.h: what the deploy targets (nginx.c, haproxy.c, apache.c,
 * hook.c) share, and nothing outside src/deploy/ includes.
 *
 * - Files are only ever replaced whole (store_write_atomic) and only when
 *   their content differs (deploy_put_file), so an unchanged deploy writes
 *   nothing and signals nobody.
 * - Content-addressed names: deploy_content_id() names a file after a hash
 *   of what it holds, for files that are written once and never rewritten.
 * - The pending marker DIR/.NAME.pending exists from before a deploy
 *   changes a file until the server confirmed it loaded the change (reload
 *   command exit 0, HAProxy "Success!").  It survives a crash: the next
 *   start finds the files already as they should be and would otherwise
 *   never tell the server, which then serves the old certificate until
 *   something else changes.
 */
#ifndef HOLDFAST_DEPLOY_INTERNAL_H
#define HOLDFAST_DEPLOY_INTERNAL_H

#include <stddef.h>
#include <sys/types.h>

#include "conf/conf.h"
#include "deploy/deploy.h"
#include "deploy/privsep.h"

#define DEPLOY_ID_HEX 16 /* hex digits of SHA-256 that name a generation */

/* 1 when path already holds exactly data (len bytes). */
int deploy_same_content(const char *path, const void *data, size_t len);

/* Write path atomically with mode when its content differs; sets *changed
 * then.  0 or -1 (logged by the store). */
int deploy_put_file(const char *path, const void *data, size_t len, mode_t mode, int *changed);

/* dst = DIR/NAME + EXT.  0, or -1 when it does not fit. */
int deploy_path(char *dst, size_t len, const char *dir, const char *name, const char *ext);

/* dst = DEPLOY_DIR/TARGET, created (0755) when missing.  0 or -1. */
int deploy_target_dir(char *dst, size_t len, const struct conf *conf, const char *target);

/* dst = the first DEPLOY_ID_HEX hex digits of SHA-256(a || b): a name for
 * files that is fixed by their content.  0 or -1. */
int deploy_content_id(char dst[DEPLOY_ID_HEX + 1], const void *a, size_t alen, const void *b,
                      size_t blen);

/* dst = DIR/.NAME.pending, the pending marker of certificate name.  0 or -1. */
int deploy_marker_path(char *dst, size_t len, const char *dir, const char *name);

/* 1 when the marker exists: a change the server has not confirmed. */
int deploy_pending(const char *marker);

/* Create the marker (durably) unless it exists.  0 or -1 (logged). */
int deploy_pending_set(const char *marker);

/* Remove the marker; a failure other than "absent" is logged. */
void deploy_pending_clear(const char *marker);

/* Run the reload command or hook `command` for cert_name: through the root
 * side when privilege separation is active, else argv (what names it in the
 * logs).  Returns the command's exit status, or -1. */
int deploy_run(enum privsep_command command, const char *cert_name, const char *event,
               char *const argv[], const char *what);

/* The targets.  Each sets *changed when one of its files changed and
 * returns 0, or -1 when the target failed (logged where it failed). */
int deploy_nginx(const struct conf *conf, const struct conf_cert *cert,
                 const struct deploy_input *in, int *changed);
int deploy_haproxy(const struct conf *conf, const struct conf_cert *cert,
                   const struct deploy_input *in, const char *sock, int *changed);
int deploy_apache(const struct conf *conf, const struct conf_cert *cert,
                  const struct deploy_input *in, int *changed);

/* Run cert's deploy_hook with the event name and the certificate name: 0
 * when it exited 0, else -1 (logged). */
int deploy_hook_run(const struct conf_cert *cert, const char *event);

#endif
