/*
 * log: one line per event, key=value, to stderr.
 *
 * Every line starts with ts=, level= and event=; the caller supplies the rest
 * as key=value pairs.  Values that come from the network or from files must go
 * through log_safe() first so that a hostile peer cannot forge log lines
 * (newlines, quotes and control bytes are replaced).  Private key material is
 * never passed here.  Whatever a caller passes, every line goes through
 * log_clean() before it is written: the userinfo of any URL is redacted
 * (util/url.h) and a control byte left in a value (a file name with a
 * newline or ESC) is written as \xHH, so no line can be split or forged and
 * no password in a URL is logged.
 */
#ifndef HOLDFAST_LOG_H
#define HOLDFAST_LOG_H

#include <stddef.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Send lines to syslog (facility daemon, ident "holdfast") instead of
 * stderr; the ts= field is left to syslog then. */
void log_use_syslog(void);

/* Messages below this level are dropped; default LOG_LEVEL_INFO. */
void log_set_level(enum log_level level);

/* Print "ts=... level=... event=EVENT " followed by the formatted pairs. */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copy src into dst (size dstlen, always terminated), replacing bytes that
 * would break a key="value" log field.  Returns dst. */
const char *log_safe(char *dst, size_t dstlen, const char *src);

/* in with URL userinfo redacted and control bytes as \xHH into out (always
 * terminated, cut to fit); its length.  For logs and for text output that
 * prints names from files or the command line. */
size_t log_clean(const char *in, char *out, size_t outlen);

#define log_debug(ev, ...) log_event(LOG_LEVEL_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...)  log_event(LOG_LEVEL_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...)  log_event(LOG_LEVEL_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_LEVEL_ERROR, ev, __VA_ARGS__)

#endif
