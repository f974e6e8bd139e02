#!/usr/bin/env bash
# init: holdfast init adopts what real nginx, Apache and HAProxy serve.
#
# nginx serves three TLS sites (two from an included file, one a wildcard,
# one with stapling lines) and a plain HTTP site; Apache one TLS vhost and a
# plain one; HAProxy (master-worker) one crt.  The certificates come from
# the lab CA.  Checks:
# - a broken nginx configuration: init refuses (exit 3) and the files are
#   unchanged byte for byte, nothing is imported;
# - init --apply writes a holdfast.conf that holdfast run loads, imports each
#   certificate (store has them), rewrites the servers' configuration with
#   a backup, leaves the plain-HTTP sites' lines alone;
# - after init --apply and a short holdfast run, every server serves the
#   same certificate as before (fingerprints by openssl s_client), and no
#   issuance was attempted (one version per certificate, no acme events);
# - a changed configuration that the server's check refuses is restored.
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/../lab/apache.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

# leaf NAME SAN...: $CA/NAME.pem (leaf + int) and $CA/NAME.key.
leaf() {
	local name=$1 san="" n
	shift
	for n in "$@"; do san="${san:+$san, }DNS:$n"; done
	printf '[leaf]\nbasicConstraints = critical, CA:false\nextendedKeyUsage = serverAuth\nsubjectAltName = %s\n' \
		"$san" >"$CA/$name.ext"
	(cd "$CA" && lab_ec_csr "$name" "/CN=$1" &&
		openssl x509 -req -in "$name.csr" -CA int.pem -CAkey int.key -set_serial "0x$(lab_serial)" \
			-days 90 -extfile "$name.ext" -extensions leaf -out "$name.crt" &&
		cat "$name.crt" int.pem >"$name.pem") >"$CA/$name.log" 2>&1
}
leaf www www.a.test a.test || not_ok "lab: leaf www" "$(cat "$CA/www.log")"
leaf wild '*.w.test' w.test || not_ok "lab: leaf wild" "$(cat "$CA/wild.log")"
leaf api api.a.test || not_ok "lab: leaf api" "$(cat "$CA/api.log")"
leaf ap ap.test || not_ok "lab: leaf ap" "$(cat "$CA/ap.log")"
leaf hp hp.test || not_ok "lab: leaf hp" "$(cat "$CA/hp.log")"
cat "$CA/hp.pem" "$CA/hp.key" >"$CA/hp-bundle.pem"

# fingerprint HOST:PORT SNI: SHA-256 fingerprint of the certificate served.
fingerprint() {
	openssl s_client -connect "$1" -servername "$2" </dev/null 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 2>/dev/null
}

# ---- nginx: main file + an include
NG=$LAB/nginx-8443
mkdir -p "$NG/tmp" "$NG/sites" "$NG/www"
{
	lab_nginx_conf_head "$NG"
	cat <<-EOF
		    include $NG/sites/*.conf;
		    server {
		        listen 127.0.0.1:8080;
		        server_name www.a.test a.test;
		        root $NG/www;
		    }
		    server {
		        listen 127.0.0.1:8443 ssl;
		        server_name api.a.test;
		        ssl_certificate $CA/api.pem;
		        ssl_certificate_key $CA/api.key;
		        location / { return 200 "api\n"; }
		    }
		}
	EOF
} >"$NG/nginx.conf"
cat >"$NG/sites/www.conf" <<-EOF
	server {
	    listen 127.0.0.1:8443 ssl;
	    server_name www.a.test a.test;
	    ssl_certificate $CA/www.pem;
	    ssl_certificate_key $CA/www.key;
	    location / { return 200 "www\n"; }
	}
	server {
	    listen 127.0.0.1:8443 ssl;
	    server_name .w.test;
	    ssl_certificate $CA/wild.pem;
	    ssl_certificate_key $CA/wild.key;
	}
EOF
lab_nginx_start "$NG" 8443 || { not_ok "lab: nginx" "did not start"; lab_finish; }

# ---- Apache: a TLS vhost and a plain one
AP=$LAB/apache
lab_apache_conf "$AP" 9443 ap.test "$CA/ap.pem" "" "$CA/ap.key"
cat >>"$AP/httpd.conf" <<-EOF
	Listen 127.0.0.1:9080
	<VirtualHost 127.0.0.1:9080>
	    ServerName ap.test
	    DocumentRoot $AP
	</VirtualHost>
EOF
lab_apache_start "$AP" 9443 || { not_ok "lab: apache" "did not start"; lab_finish; }

# ---- HAProxy, master-worker
HP=$LAB/haproxy.cfg
cat >"$HP" <<-EOF
	global
	    master-worker
	    pidfile $LAB/haproxy.pid
	    stats socket $LAB/haproxy.sock level admin
	defaults
	    mode http
	    timeout connect 2s
	    timeout client 5s
	    timeout server 5s
	frontend tls
	    bind 127.0.0.1:10443 ssl crt $CA/hp-bundle.pem
	    http-request return status 200 content-type text/plain string hp
	frontend plain
	    bind 127.0.0.1:10080
	    http-request return status 200 content-type text/plain string plain
EOF
haproxy -W -db -f "$HP" >"$LAB/haproxy.log" 2>&1 &
lab_track $!
wait_for_port 10443 || { diag "$LAB/haproxy.log"; not_ok "lab: haproxy" "did not start"; lab_finish; }

before_www=$(fingerprint 127.0.0.1:8443 www.a.test)
before_wild=$(fingerprint 127.0.0.1:8443 x.w.test)
before_api=$(fingerprint 127.0.0.1:8443 api.a.test)
before_ap=$(fingerprint 127.0.0.1:9443 ap.test)
before_hp=$(fingerprint 127.0.0.1:10443 hp.test)
if [ -n "$before_www" ] && [ "$before_www" != "$before_api" ] && [ -n "$before_ap" ] &&
	[ -n "$before_hp" ] && [ "$before_wild" != "$before_www" ]; then
	ok "lab: five sites serve their certificates"
else
	not_ok "lab: five sites serve their certificates" "www=$before_www api=$before_api ap=$before_ap hp=$before_hp"
fi

# ---- a broken configuration is refused and not touched
BR=$LAB/broken
mkdir -p "$BR/sites"
sed "s|$NG/sites|$BR/sites|" "$NG/nginx.conf" >"$BR/nginx.conf"
sed 's/ssl_certificate_key \(.*\);/ssl_certificate_key \1/' "$NG/sites/www.conf" >"$BR/sites/www.conf"
sum_before=$(cat "$BR/nginx.conf" "$BR/sites/www.conf" | sha256sum)
hf init --nginx "$BR/nginx.conf" --store "$LAB/store-broken" -o "$LAB/broken.conf" --apply
if [ "$HF_RC" = 3 ] && [ "$(cat "$BR/nginx.conf" "$BR/sites/www.conf" | sha256sum)" = "$sum_before" ] &&
	[ ! -e "$LAB/broken.conf" ] && [ ! -e "$LAB/store-broken/certificates" ] &&
	! ls "$BR"/.*.holdfast-backup "$BR"/sites/.*.holdfast-backup >/dev/null 2>&1; then
	ok "broken nginx configuration: refused (exit 3), files unchanged, nothing imported"
else
	not_ok "broken nginx configuration: refused, untouched" "exit $HF_RC"
	hf_dump
fi

# ---- without --apply: the plan, nothing changed
sum_ng=$(cat "$NG/nginx.conf" "$NG/sites/www.conf" | sha256sum)
hf init --nginx "$NG/nginx.conf" --store "$LAB/store-dry" --ca letsencrypt
if [ "$HF_RC" = 1 ] && grep -q '^\[certificate www.a.test\]' "$HF_OUT" &&
	grep -q '^\[certificate w.test\]' "$HF_OUT" &&
	grep -q "^+	include $LAB/store-dry/deploy/nginx/www.a.test.conf;" "$HF_ERR" &&
	[ "$(cat "$NG/nginx.conf" "$NG/sites/www.conf" | sha256sum)" = "$sum_ng" ]; then
	ok "init without --apply: config on stdout, lines to change printed, nginx untouched (exit 1: dns-01 to fill in)"
else
	not_ok "init without --apply" "exit $HF_RC"
	hf_dump
fi
if grep -q '^names = www.a.test a.test$' "$HF_OUT" && grep -q '^names = w.test \*.w.test$' "$HF_OUT" &&
	grep -q "^webroot = $NG/www\$" "$HF_OUT" && grep -q '^caa_identities = letsencrypt.org$' "$HF_OUT" &&
	grep -q '^deploy = nginx$' "$HF_OUT" && grep -q '^key = ec-p256$' "$HF_OUT"; then
	ok "init: names, webroot of the plain twin, caa_identities, deploy and key as expected"
else
	not_ok "init: names, webroot, caa_identities, deploy, key" "see stdout"
	hf_dump
fi

# ---- init --apply over all three servers
cp "$AP/httpd.conf" "$LAB/httpd.conf.orig"
cp "$NG/sites/www.conf" "$LAB/www.conf.orig"
hf init --nginx "$NG/nginx.conf" --apache "$AP/httpd.conf" --haproxy "$HP" \
	--store "$LAB/store" --ca letsencrypt -o "$LAB/holdfast.conf" --apply
if [ "$HF_RC" = 1 ] && [ -s "$LAB/holdfast.conf" ]; then
	ok "init --apply: done (exit 1: the wildcard's dns-01 server to fill in)"
else
	not_ok "init --apply" "exit $HF_RC"
	hf_dump
fi
# The apache reload in the config must match the lab's instance (it runs -d DIR).
n_certs=$(ls "$LAB/store/certificates" 2>/dev/null | wc -l)
if [ "$n_certs" = 5 ]; then
	ok "init: five certificates imported"
else
	not_ok "init: five certificates imported" "$n_certs: $(ls "$LAB/store/certificates" 2>&1)"
fi
if cmp -s "$NG/sites/.www.conf.holdfast-backup" "$LAB/www.conf.orig" &&
	cmp -s "$AP/.httpd.conf.holdfast-backup" "$LAB/httpd.conf.orig" &&
	grep -q "include $LAB/store/deploy/nginx/www.a.test.conf;" "$NG/sites/www.conf" &&
	grep -q "SSLCertificateFile $LAB/store/deploy/apache/ap.test.pem" "$AP/httpd.conf" &&
	grep -q "crt $LAB/store/deploy/haproxy/hp.test.pem" "$HP" &&
	grep -q 'listen 127.0.0.1:8080;' "$NG/nginx.conf" &&
	grep -q '<VirtualHost 127.0.0.1:9080>' "$AP/httpd.conf" && grep -q 'bind 127.0.0.1:10080$' "$HP"; then
	ok "init --apply: configurations rewritten with backups; plain HTTP sites left alone"
else
	not_ok "init --apply: configurations rewritten" "see files"
	diag "$NG/sites/www.conf" "  www.conf: "
	diag "$AP/httpd.conf" "  httpd.conf: "
	diag "$HP" "  haproxy.cfg: "
fi

# The servers' configurations no longer need the original files: with them
# moved away, each server's own check still passes.
mkdir -p "$CA/moved"
mv "$CA"/www.pem "$CA"/www.key "$CA"/wild.pem "$CA"/wild.key "$CA"/api.pem "$CA"/api.key \
	"$CA"/ap.pem "$CA"/ap.key "$CA"/hp-bundle.pem "$CA/moved/"
if nginx -t -c "$NG/nginx.conf" >"$LAB/t.out" 2>&1 &&
	apache2ctl -t -f "$AP/httpd.conf" >>"$LAB/t.out" 2>&1 &&
	haproxy -c -q -f "$HP" >>"$LAB/t.out" 2>&1; then
	ok "init --apply: nginx, Apache and HAProxy read only holdfast's deploy files"
else
	not_ok "init --apply: servers read only holdfast's deploy files" "a check failed"
	diag "$LAB/t.out"
fi

# ---- holdfast run, briefly
"$HOLDFAST" run -c "$LAB/holdfast.conf" >"$LAB/run.log" 2>&1 &
RUN=$!
lab_track "$RUN"
wait_for_log "$LAB/run.log" 'event=daemon_started' || diag "$LAB/run.log"
# HAProxy's certificate push (pending since the reload) is what the start does last.
wait_for_log "$LAB/run.log" 'event=deployed.*cert=hp.test' || diag "$LAB/run.log"
after_www=$(fingerprint 127.0.0.1:8443 www.a.test)
after_wild=$(fingerprint 127.0.0.1:8443 x.w.test)
after_api=$(fingerprint 127.0.0.1:8443 api.a.test)
after_ap=$(fingerprint 127.0.0.1:9443 ap.test)
after_hp=$(fingerprint 127.0.0.1:10443 hp.test)
lab_stop "$RUN"
for s in www wild api ap hp; do
	b=before_$s
	a=after_$s
	if [ -n "${!a}" ] && [ "${!a}" = "${!b}" ]; then
		ok "after init --apply + run: $s serves the same certificate"
	else
		not_ok "after init --apply + run: $s serves the same certificate" "before ${!b}, after ${!a}"
	fi
done
versions=$(ls -d "$LAB/store/certificates/.versions"/* 2>/dev/null | wc -l)
if [ "$versions" = 5 ] && ! grep -Eq 'event=(placeholder_installed|issued|acme_|issuance_failed)' "$LAB/run.log"; then
	ok "no issuance: one version per certificate, no ACME event"
else
	not_ok "no issuance" "$versions versions; $(grep -E 'event=(placeholder|issued|acme_|issuance)' "$LAB/run.log" | head -3)"
fi

# ---- a second init finds every site adopted: nothing changes
sum_all=$(cat "$NG/nginx.conf" "$NG/sites/www.conf" "$AP/httpd.conf" "$HP" | sha256sum)
hf init --nginx "$NG/nginx.conf" --apache "$AP/httpd.conf" --haproxy "$HP" \
	--store "$LAB/store" --ca letsencrypt -o "$LAB/holdfast2.conf" --apply
if [ "$HF_RC" = 0 ] && grep -q 'adopted already' "$HF_ERR" && [ ! -e "$LAB/holdfast2.conf" ] &&
	[ "$(cat "$NG/nginx.conf" "$NG/sites/www.conf" "$AP/httpd.conf" "$HP" | sha256sum)" = "$sum_all" ]; then
	ok "init again: every site adopted already, exit 0, nothing changed"
else
	not_ok "init again" "exit $HF_RC"
	hf_dump
fi

# ---- a rewrite the server refuses is restored
R=$LAB/nginx-8450
mkdir -p "$R/tmp"
{
	lab_nginx_conf_head "$R"
	cat <<-EOF
		    server {
		        listen 127.0.0.1:8450 ssl;
		        server_name api.a.test;
		        ssl_certificate $CA/moved/api.pem;
		        ssl_certificate_key $CA/moved/api.key;
		    }
		}
	EOF
} >"$R/nginx.conf"
sum_r=$(sha256sum <"$R/nginx.conf")
# The deploy directory is a file: the include cannot be written, so nginx -t
# refuses the rewritten configuration and init must restore it.
mkdir -p "$LAB/store-r"
touch "$LAB/store-r/deploy"
hf init --nginx "$R/nginx.conf" --store "$LAB/store-r" --apply -o "$LAB/r.conf"
if [ "$HF_RC" = 2 ] && grep -q "restoring" "$HF_ERR" && [ "$(sha256sum <"$R/nginx.conf")" = "$sum_r" ]; then
	ok "init --apply refused by nginx -t: exit 2, nginx.conf restored byte for byte"
else
	not_ok "init --apply refused by nginx -t: restored" "exit $HF_RC"
	hf_dump
fi

lab_finish
