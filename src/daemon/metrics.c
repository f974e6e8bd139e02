

#include "daemon/metrics.h"

#include <string.h>

#include "acme/challenge.h"
#include "util/httpd.h"

struct metrics_server {
	struct http_server *daemon;
	pthread_mutex_t lock;
	char *page;
	size_t len;
};

static enum MHD_Result metrics_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                       const char *method, const char *version,
                                       const char *upload_data, size_t *upload_data_size,
                                       void **con_cls)
{
	struct metrics_server *m = cls;
	struct MHD_Response *r;
	enum MHD_Result rc;
	char *copy;
	size_t len;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 || strcmp(url, "/metrics") != 0) {
		static const char nf[] = "not found; try /metrics\n";
		r = MHD_create_response_from_buffer(sizeof(nf) - 1, (void *)nf,
		                                    MHD_RESPMEM_PERSISTENT);
		rc = r ? MHD_queue_response(conn, MHD_HTTP_NOT_FOUND, r) : MHD_NO;
		MHD_destroy_response(r);
		return rc;
	}
	pthread_mutex_lock(&m->lock);
	len = m->len;
	copy = malloc(len ? len : 1);
	if (copy != NULL && len > 0)
		memcpy(copy, m->page, len);
	pthread_mutex_unlock(&m->lock);
	if (copy == NULL)
		return MHD_NO;
	r = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", "text/plain; version=0.0.4");
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

struct metrics_server *metrics_start(const char *listen)
{
	struct metrics_server *m = calloc(1, sizeof(*m));

	if (m == NULL || pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	m->daemon = http_server_start(listen, "metrics", 32, metrics_handler, m, NULL);
	if (m->daemon == NULL) {
		pthread_mutex_destroy(&m->lock);
		free(m);
		return NULL;
	}
	return m;
}

void metrics_publish(struct metrics_server *m, const char *text, size_t len)
{
	char *copy;

	if (m == NULL)
		return;
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return;
	memcpy(copy, text, len);
	pthread_mutex_lock(&m->lock);
	free(m->page);
	m->page = copy;
	m->len = len;
	pthread_mutex_unlock(&m->lock);
}

void metrics_stop(struct metrics_server *m)
{
	if (m == NULL)
		return;
	http_server_stop(m->daemon);
	pthread_mutex_destroy(&m->lock);
	free(m->page);
	free(m);
}

void metrics_label_escape(char *dst, size_t dstlen, const char *value)
{
	size_t j = 0;

	for (; *value != '\0' && j + 3 < dstlen; value++) {
		if (*value == '\\' || *value == '"') {
			dst[j++] = '\\';
			dst[j++] = *value;
		} else if (*value == '\n') {
			dst[j++] = '\\';
			dst[j++] = 'n';
		} else {
			dst[j++] = *value;
		}
	}
	if (dstlen > 0)
		dst[j < dstlen ? j : dstlen - 1] = '\0';
}
