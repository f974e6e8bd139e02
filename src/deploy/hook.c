/*
 * hook.c: the deploy hook.  A [certificate]'s deploy_hook is run as
 * "HOOK EVENT NAME" (EVENT "certificate" or "staple") via posix_spawn with
 * an argument vector, never a shell (util/spawn.h: no stdin, none of our
 * descriptors, killed after SPAWN_TIMEOUT); its exit status and first line
 * of output are logged.  Under privilege separation the root side runs the
 * hook that its own reading of the configuration names (privsep.h), so the
 * unprivileged daemon cannot choose what runs as root.  A hook that exits
 * non-zero (or cannot run) is a failed target, "deploy_hook", like a failed
 * reload: recorded in the deploy's result (holdfast status shows it) and run
 * again at the daemon's next deploy retry, even when no file changed.
 */
#include "deploy/internal.h"

int deploy_hook_run(const struct conf_cert *cert, const char *event)
{
	char *argv[] = {cert->deploy_hook, (char *)event, cert->name, NULL};

	return deploy_run(PRIV_DEPLOY_HOOK, cert->name, event, argv, "deploy-hook") == 0 ? 0 : -1;
}
