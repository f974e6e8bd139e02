/*
 * Unit tests for src/init/: the nginx -T dump parser (includes, inherited
 * certificates, a plain-HTTP server left alone, a variable certificate
 * refused), the Apache parser (Include/IncludeOptional through an
 * in-memory loader, ServerName/ServerAlias, SSLEngine off left alone), the
 * HAProxy parser (crt, crt-base, admin socket, a missing socket), names
 * merged with SANs, section names, the edits applied byte for byte, and the
 * holdfast.conf written loading with conf_load_buffer().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf.h"
#include "init/init.h"
#include "tap.h"

static const char nginx_dump[] =
    "nginx: the configuration file /etc/nginx/nginx.conf syntax is ok\n"
    "# configuration file /etc/nginx/nginx.conf:\n"
    "events {}\n"
    "http {\n"
    "    ssl_certificate /etc/ssl/default.pem;\n"
    "    ssl_certificate_key /etc/ssl/default.key;\n"
    "    include sites/*.conf;\n"
    "    server { listen 80; server_name www.x.test; root /srv/www; }\n"
    "}\n"
    "\n"
    "# configuration file /etc/nginx/sites/a.conf:\n"
    "server {\n"
    "    listen 443 ssl;\n"
    "    server_name www.x.test x.test;\n"
    "    ssl_certificate \"/etc/ssl/www.pem\";\n"
    "    ssl_certificate_key /etc/ssl/www.key; # the key\n"
    "    ssl_stapling on; ssl_stapling_file /etc/ssl/www.ocsp;\n"
    "}\n"
    "server { listen 443 ssl; server_name .w.test; }\n"
    "server { listen 443 ssl; ssl_certificate $ssl_server_name.pem; "
    "ssl_certificate_key k; }\n"
    "\n";

static void test_nginx(void)
{
	struct init_config *c = init_config_new(INIT_NGINX);
	char err[INIT_ERROR_MAX] = "", *out;
	struct init_edit *e = NULL;
	size_t n = 0, len = 0;

	CHECK(init_nginx_parse(c, nginx_dump, sizeof(nginx_dump) - 1, err, sizeof(err)) == 0,
	      "nginx: dump parses");
	CHECK(c->file_count == 2 && strcmp(c->files[1].path, "/etc/nginx/sites/a.conf") == 0,
	      "nginx: two files");
	CHECK(c->site_count == 2, "nginx: two TLS sites (the variable one skipped)");
	CHECK(c->skip_count == 1 && strstr(c->skipped, "run time") != NULL,
	      "nginx: variable certificate reported");
	CHECK(c->plain_count == 1, "nginx: plain HTTP server counted, left alone");
	if (c->site_count < 2)
		goto out;
	CHECK(strcmp(c->sites[0].cert, "/etc/ssl/www.pem") == 0 &&
	          strcmp(c->sites[0].key, "/etc/ssl/www.key") == 0 && c->sites[0].name_count == 2 &&
	          strcmp(c->sites[0].names[1], "x.test") == 0,
	      "nginx: own certificate, key and names");
	CHECK(c->sites[0].docroot && strcmp(c->sites[0].docroot, "/srv/www") == 0,
	      "nginx: docroot of the plain twin");
	CHECK(strcmp(c->sites[1].cert, "/etc/ssl/default.pem") == 0,
	      "nginx: inherited certificate");
	CHECK(init_site_edits(c, &c->sites[0], "www.x.test", "/d", NULL, &e, &n) == 0 && n == 4,
	      "nginx: four edits (cert, key, 2 stapling)");
	out = init_edits_apply(c->files[1].text, c->files[1].len, e, n, 1, &len);
	CHECK(out != NULL && strstr(out, "    include /d/nginx/www.x.test.conf;\n") != NULL &&
	          strstr(out, "# holdfast init: ssl_certificate_key /etc/ssl/www.key;") != NULL &&
	          strstr(out, "\n    ssl_stapling") == NULL &&
	          strstr(out, "\n     # holdfast init: ssl_stapling_file /etc/ssl/www.ocsp;\n"),
	      "nginx: edits applied");
	CHECK(out != NULL && strstr(out, "server { listen 443 ssl; server_name .w.test; }") != NULL,
	      "nginx: other server untouched");
	free(out);
	CHECK(init_site_edits(c, &c->sites[1], "w.test", "/d", NULL, &e, &n) == 0 && n == 5 &&
	          e[4].len == 0 && strstr(e[4].text, "include /d/nginx/w.test.conf;"),
	      "nginx: inherited gets an inserted include");
	CHECK(init_site_edits(c, &c->sites[0], "www.x.test", "/d", NULL, &e, &n) == 0 && n == 5,
	      "nginx: an edit is not added twice");
	init_edits_free(e, n);
out:
	init_config_free(c);
	c = init_config_new(INIT_NGINX);
	CHECK(init_nginx_parse(c, "events {}\n", 10, err, sizeof(err)) != 0 &&
	          strstr(err, "nginx -T") != NULL,
	      "nginx: not a dump refused");
	init_config_free(c);
	c = init_config_new(INIT_NGINX);
	{
		static const char bad[] = "# configuration file /x.conf:\nhttp { server {\n\n";
		CHECK(init_nginx_parse(c, bad, sizeof(bad) - 1, err, sizeof(err)) != 0 &&
		          strstr(err, "missing '}'") != NULL,
		      "nginx: unbalanced braces refused");
	}
	init_config_free(c);
}

/* ---------------------------------------------------------------- apache */

struct memfile {
	const char *path, *text;
};

static const struct memfile apache_files[] = {
    {"/etc/apache2/apache2.conf", "ServerRoot /etc/apache2\n"
                                  "Include ports.conf\n"
                                  "IncludeOptional sites/*.conf\n"
                                  "IncludeOptional nothing/*.conf\n"},
    {"/etc/apache2/ports.conf", "Listen 443\n"},
    {"/etc/apache2/sites/a.conf", "<VirtualHost *:443>\n"
                                  "    ServerAlias a2.x.test \\\n"
                                  "        a3.x.test\n"
                                  "    ServerName https://a.x.test:443\n"
                                  "    SSLEngine on\n"
                                  "    SSLCertificateFile ssl/a.pem\n"
                                  "    SSLCertificateKeyFile /etc/ssl/a.key\n"
                                  "</VirtualHost>\n"},
    {"/etc/apache2/sites/b.conf", "<VirtualHost *:80>\n"
                                  "    ServerName a.x.test\n"
                                  "    DocumentRoot /srv/a\n"
                                  "</VirtualHost>\n"},
};

static int mem_load(void *ctx, const char *path, char **text, size_t *len, char *why, size_t wl)
{
	size_t i;

	(void)ctx;
	(void)why;
	(void)wl;
	for (i = 0; i < sizeof(apache_files) / sizeof(apache_files[0]); i++)
		if (strcmp(apache_files[i].path, path) == 0) {
			*text = strdup(apache_files[i].text);
			*len = strlen(apache_files[i].text);
			return 0;
		}
	return 1;
}

static int mem_glob(void *ctx, const char *pattern, char ***m, size_t *count)
{
	(void)ctx;
	*m = NULL;
	*count = 0;
	if (strcmp(pattern, "/etc/apache2/sites/*.conf") != 0)
		return 0;
	*m = calloc(2, sizeof(char *));
	(*m)[0] = strdup("/etc/apache2/sites/a.conf");
	(*m)[1] = strdup("/etc/apache2/sites/b.conf");
	*count = 2;
	return 0;
}

static void test_apache(void)
{
	struct init_loader ld = {mem_load, mem_glob, NULL};
	struct init_config *c = init_config_new(INIT_APACHE);
	char err[INIT_ERROR_MAX] = "", *out;
	struct init_edit *e = NULL;
	size_t n = 0, len = 0;

	CHECK(init_apache_parse(c, "/etc/apache2/apache2.conf", NULL, &ld, err, sizeof(err)) == 0,
	      "apache: parses with includes");
	CHECK(c->file_count == 4 && c->site_count == 1 && c->plain_count == 1,
	      "apache: one TLS vhost, one plain");
	if (c->site_count != 1)
		goto out;
	CHECK(strcmp(c->sites[0].cert, "/etc/apache2/ssl/a.pem") == 0 &&
	          strcmp(c->sites[0].key, "/etc/ssl/a.key") == 0,
	      "apache: certificate relative to ServerRoot, key");
	CHECK(c->sites[0].name_count == 3 && strcmp(c->sites[0].names[0], "a.x.test") == 0 &&
	          strcmp(c->sites[0].names[2], "a3.x.test") == 0,
	      "apache: ServerName first, without scheme and port; continued alias");
	CHECK(c->sites[0].docroot && strcmp(c->sites[0].docroot, "/srv/a") == 0,
	      "apache: docroot of the port-80 twin");
	CHECK(init_site_edits(c, &c->sites[0], "a.x.test", "/d", NULL, &e, &n) == 0 && n == 2,
	      "apache: two edits");
	out = init_edits_apply(c->files[2].text, c->files[2].len, e, n, 2, &len);
	CHECK(out && strstr(out, "    SSLCertificateFile /d/apache/a.x.test.pem\n") &&
	          strstr(out, "    # holdfast init: SSLCertificateKeyFile /etc/ssl/a.key\n"),
	      "apache: edits applied");
	free(out);
	init_edits_free(e, n);
out:
	init_config_free(c);
}

/* --------------------------------------------------------------- haproxy */

static void test_haproxy(void)
{
	static const char cfg[] = "global\n"
	                          "    crt-base /etc/haproxy/certs\n"
	                          "    master-worker\n"
	                          "    pidfile /run/haproxy.pid\n"
	                          "defaults\n"
	                          "    mode http\n"
	                          "frontend f\n"
	                          "    bind :80\n"
	                          "    bind :443 ssl crt a.pem crt /abs/b.pem alpn h2 # tls\n"
	                          "    bind :8443 ssl crt-list /etc/list\n";
	struct init_config *c = init_config_new(INIT_HAPROXY);
	char err[INIT_ERROR_MAX] = "", *out;
	struct init_edit *e = NULL;
	size_t n = 0, len = 0;

	CHECK(init_haproxy_parse(c, "/etc/haproxy/haproxy.cfg", cfg, sizeof(cfg) - 1, err,
	                         sizeof(err)) == 0,
	      "haproxy: parses");
	CHECK(c->site_count == 2 && c->plain_count == 1 && c->skip_count == 1,
	      "haproxy: two crt, one plain bind, crt-list reported");
	CHECK(c->haproxy_master && c->haproxy_pidfile &&
	          strcmp(c->haproxy_pidfile, "/run/haproxy.pid") == 0 && c->haproxy_socket == NULL,
	      "haproxy: master-worker, pidfile, no socket");
	if (c->site_count != 2)
		goto out;
	CHECK(strcmp(c->sites[0].cert, "/etc/haproxy/certs/a.pem") == 0 &&
	          strcmp(c->sites[1].cert, "/abs/b.pem") == 0 && c->sites[0].key == NULL,
	      "haproxy: crt-base applied");
	CHECK(init_site_edits(c, &c->sites[0], "a", "/d", "/run/adm.sock", &e, &n) == 0 &&
	          init_site_edits(c, &c->sites[1], "b", "/d", "/run/adm.sock", &e, &n) == 0 &&
	          n == 3,
	      "haproxy: two crt edits and one socket line");
	out = init_edits_apply(c->files[0].text, c->files[0].len, e, n, 0, &len);
	CHECK(out &&
	          strstr(out, "global\n    stats socket /run/adm.sock level admin\n    crt-base") &&
	          strstr(out, "ssl crt /d/haproxy/a.pem crt /d/haproxy/b.pem alpn h2 # tls\n"),
	      "haproxy: edits applied");
	free(out);
	init_edits_free(e, n);
out:
	init_config_free(c);
}

/* ------------------------------------------------------------------ plan */

static void test_plan(void)
{
	char *conf_names[] = {"www.x.test", "_", "~^re$", "localhost", ".w.test", "WWW.X.TEST"};
	char *sans[] = {"x.test", "www.x.test", "*.x.test"};
	char **names = NULL, sec[128], *taken[] = {"x.test"}, *text, err[CONF_ERROR_MAX];
	const char *cas[] = {"letsencrypt", "zerossl"};
	struct init_cert certs[2];
	struct init_conf_options o;
	struct conf *conf;
	size_t count = 0;
	int todo = 0;

	CHECK(init_names_merge(conf_names, 6, sans, 3, &names, &count) == 0 && count == 5 &&
	          strcmp(names[0], "www.x.test") == 0 && strcmp(names[1], "w.test") == 0 &&
	          strcmp(names[2], "*.w.test") == 0 && strcmp(names[3], "x.test") == 0 &&
	          strcmp(names[4], "*.x.test") == 0,
	      "plan: names merged, invalid dropped, deduplicated");
	CHECK(init_section_name("*.x.test", NULL, 0, sec, sizeof(sec)) == 0 &&
	          strcmp(sec, "wildcard.x.test") == 0,
	      "plan: wildcard section name");
	CHECK(init_section_name("x.test", taken, 1, sec, sizeof(sec)) == 0 &&
	          strcmp(sec, "x.test-2") == 0,
	      "plan: section names unique");
	CHECK(init_ca_find("letsencrypt") && init_ca_find("google")->eab_required &&
	          init_ca_find("zerossl")->eab_required && !init_ca_find("nope"),
	      "plan: CA table");
	memset(certs, 0, sizeof(certs));
	memset(&o, 0, sizeof(o));
	snprintf(certs[0].section, sizeof(certs[0].section), "www.x.test");
	certs[0].cert = "/etc/ssl/www.pem";
	certs[0].where = "/etc/nginx/nginx.conf:3";
	certs[0].names = names;
	certs[0].name_count = 1;
	certs[0].key_type = "ec-p256";
	certs[0].servers = 1u << INIT_NGINX | 1u << INIT_HAPROXY;
	certs[0].docroot = "/srv/www";
	snprintf(certs[1].section, sizeof(certs[1].section), "w.test");
	certs[1].cert = "/etc/ssl/w.pem";
	certs[1].where = "/etc/apache2/a.conf:1";
	certs[1].names = names + 1;
	certs[1].name_count = 4;
	certs[1].servers = 1u << INIT_APACHE;
	o.cas = cas;
	o.ca_count = 2;
	o.store = "/tmp/store";
	o.haproxy_socket = "/run/haproxy/admin.sock";
	text = init_conf_format(certs, 2, &o, &todo);
	CHECK(text != NULL && todo == 2, "plan: conf written, EAB and dns-01 left to do");
	conf = text ? conf_load_buffer("init.conf", text, strlen(text), err, sizeof(err)) : NULL;
	CHECK(conf != NULL, "plan: the conf written loads");
	if (conf == NULL)
		printf("# %s\n", err);
	if (conf != NULL) {
		const struct conf_cert *a = conf_cert_find(conf, "www.x.test");
		const struct conf_cert *b = conf_cert_find(conf, "w.test");
		CHECK(a && b && a->deploy.count == 2 &&
		          strcmp(a->deploy.items[1], "haproxy:/run/haproxy/admin.sock") == 0 &&
		          a->webroot && strcmp(a->webroot, "/srv/www") == 0 &&
		          b->challenge == CHALLENGE_DNS_01 && b->names.count == 4 &&
		          a->cas.count == 2 && conf_ca_find(conf, "zerossl") &&
		          conf_ca_find(conf, "zerossl")->caa_identities.count == 1,
		      "plan: sections as planned");
	}
	conf_free(conf);
	free(text);
	init_names_free(names, count);
}

static void test_apply_overlap(void)
{
	struct init_edit e[2] = {{0, 2, 4, 1, "X", "old"}, {0, 4, 2, 1, "Y", "old"}};
	size_t len = 0;
	char *out = init_edits_apply("0123456789", 10, e, 2, 0, &len);

	CHECK(out == NULL, "edits: overlapping edits refused");
	e[1].off = 6;
	out = init_edits_apply("0123456789", 10, e, 2, 0, &len);
	CHECK(out && strcmp(out, "01XY89") == 0 && len == 6, "edits: applied in order");
	free(out);
}

int main(void)
{
	test_nginx();
	test_apache();
	test_haproxy();
	test_plan();
	test_apply_overlap();
	return tap_done();
}
