#!/bin/bash
# holdfast run deploying to a real Apache httpd 2.4 (mod_ssl), which staples
# what an `openssl ocsp` responder answers (SSLStaplingForceURL).
#   - deploy = apache writes apache/NAME.pem (key + fullchain), runs the graceful
#     restart (apache_reload) and Apache serves the new certificate;
#   - Apache staples a good, current response.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
# shellcheck source=SCRIPTDIR/../lab/apache.sh
. "$(dirname "$0")/../lab/apache.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

STORE=$LAB/store
DEPLOY=$LAB/deploy
APACHE=$LAB/apache
OCSP_PORT=8080
TLS_PORT=8443
lab_make_leaf "$CA" www "http://127.0.0.1:$OCSP_PORT" || lab_finish
# What Apache serves before holdfast deploys: another certificate.
lab_make_leaf "$CA" old "http://127.0.0.1:$OCSP_PORT" || lab_finish

# seed_store NAME: the lab leaf as STORE/certificates/NAME (versioned layout).
seed_store() {
	local name=$1 v=$STORE/certificates/.versions/$1.1.seed
	mkdir -p "$v"
	cp "$CA/$name.crt" "$v/cert.pem"
	cp "$CA/int.pem" "$v/chain.pem"
	cat "$CA/$name.crt" "$CA/int.pem" >"$v/fullchain.pem"
	install -m 0600 "$CA/$name.key" "$v/privkey.pem"
	printf '{"name":"%s","placeholder":false,"ca":"primary","renew_at":"2099-01-01T00:00:00Z","names":["%s.test"],"key":"ec-p256","last_error":null}\n' \
		"$name" "$name" >"$v/meta.json"
	ln -sfn ".versions/$name.1.seed" "$STORE/certificates/$name"
}
seed_store www

# pem_certs FILE: the CERTIFICATE blocks of a PEM file, in order.
pem_certs() {
	sed -n '/^-----BEGIN CERTIFICATE-----$/,/^-----END CERTIFICATE-----$/p' "$1"
}

lab_ocsp_responder "$CA" "$OCSP_PORT" 1 || lab_finish

# Apache starts with the old certificate in the files holdfast will replace.
mkdir -p "$DEPLOY/apache" "$APACHE"
cat "$CA/old.key" "$CA/old.pem" >"$DEPLOY/apache/www.pem"
chmod 0600 "$DEPLOY/apache/www.pem"
lab_apache_conf "$APACHE" "$TLS_PORT" www.test "$DEPLOY/apache/www.pem" \
	"http://127.0.0.1:$OCSP_PORT/"
lab_apache_start "$APACHE" "$TLS_PORT" || lab_finish
check "apache: serves the old certificate before the deploy" \
	cmp -s <(apache_leaf "127.0.0.1:$TLS_PORT" www.test) <(openssl x509 -in "$CA/old.crt")

printf '%s\n' "store = $STORE" "deploy_dir = $DEPLOY" "audit_interval = off" \
	"apache_reload = $(lab_apache_graceful_cmd "$APACHE")" \
	"staple_retry_min = 1s" "staple_retry_max = 4s" \
	"[ca primary]" "directory = https://127.0.0.1:9/dir" \
	"[certificate www]" "names = www.test" "cas = primary" "http_listen = 127.0.0.1:5002" \
	"deploy = apache" >"$LAB/holdfast.conf"

DLOG=$LAB/daemon.log
"$HOLDFAST" run -c "$LAB/holdfast.conf" >>"$DLOG" 2>&1 &
DAEMON=$!
lab_track "$DAEMON"

# 1. Deploy: files written, graceful restart, the new certificate served.
check "deploy: daemon started" wait_for_log "$DLOG" "event=daemon_started" 10
check "deploy: deployed to apache" wait_for_log "$DLOG" "event=deployed cert=www target=apache" 15
check "deploy: graceful restart ran" \
	wait_for_log "$DLOG" "what=apache-reload command=[^ ]*apache2 status=0" 10
PEM=$DEPLOY/apache/www.pem
check "deploy: apache/www.pem is 0600" test "$(stat -c %a "$PEM")" = 600
check "deploy: apache/www.pem starts with the private key" \
	grep -qE '^-----BEGIN ([A-Z]+ )?PRIVATE KEY-----$' <(head -n1 "$PEM")
check "deploy: its key is the stored certificate's" \
	cmp -s <(openssl pkey -in "$PEM" -pubout) <(openssl x509 -in "$STORE/certificates/www/cert.pem" -noout -pubkey)
check "deploy: its certificates are the stored fullchain, leaf first" \
	cmp -s <(pem_certs "$PEM") <(pem_certs "$STORE/certificates/www/fullchain.pem")
want_leaf=$(openssl x509 -in "$STORE/certificates/www/cert.pem")
for _ in $(seq 100); do
	[ "$(apache_leaf "127.0.0.1:$TLS_PORT" www.test)" = "$want_leaf" ] && break
	sleep 0.1
done
check "deploy: Apache serves the stored certificate" \
	test "$(apache_leaf "127.0.0.1:$TLS_PORT" www.test)" = "$want_leaf"

# 2. Stapling: Apache fetches from the responder and staples a good response.
S=$LAB/seen
for _ in $(seq 50); do
	apache_staple "127.0.0.1:$TLS_PORT" www.test "$S" && [ -s "$S.ocsp" ] && break
	sleep 0.1
done
check "staple: Apache staples a response" test -s "$S.ocsp"
check "staple: successful, good" test "$(apache_field "$S" "OCSP Response Status")/$(apache_field "$S" "Cert Status")" = "successful (0x0)/good"
check "staple: for the served certificate" \
	test "$(apache_field "$S" "Serial Number")" = "$(lab_cert_serial "$CA/www.crt")"
check "staple: not expired" lab_not apache_staple_expired "$S"

kill -TERM "$DAEMON"
wait "$DAEMON"
check "sigterm: exit 0" test $? = 0
check "logs: no key material" lab_not grep -q "PRIVATE KEY" "$DLOG"
lab_finish
