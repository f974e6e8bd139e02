/*
 * privsep: run the daemon as an unprivileged user, keeping root only for the
 * one thing that may need it: running the web server's reload command and
 * the deploy hook (signalling a root-owned nginx, for instance).
 *
 * With `user` set and started as root, holdfast forks: the parent stays
 * root and only serves requests of the form "run command KIND for
 * certificate NAME"; the child drops to the user (supplementary groups,
 * gid, uid; it checks that root cannot be regained) and runs the daemon.
 * The parent never takes an argv from the child: it reads the configuration
 * file itself and runs the nginx_reload / apache_reload / deploy_hook that
 * the file names, for a certificate the file defines.  The parent forwards
 * SIGTERM/SIGINT/SIGHUP to the child and exits with its status.
 */
#ifndef HOLDFAST_PRIVSEP_H
#define HOLDFAST_PRIVSEP_H

enum privsep_command { PRIV_NGINX_RELOAD, PRIV_APACHE_RELOAD, PRIV_DEPLOY_HOOK };

/* Start privilege separation for user (conf_path is re-read by the root
 * side).  Returns 0 in the unprivileged child; -1 when it could not be set
 * up (logged).  The root parent does not return: it exits when the child
 * does. */
int privsep_start(const char *user, const char *conf_path);

/* 1 in a child of privsep_start(). */
int privsep_active(void);

/* Ask the root side to run command for cert_name (event for the hook).
 * Returns the command's exit status, or -1. */
int privsep_run(enum privsep_command command, const char *cert_name, const char *event);

#endif
