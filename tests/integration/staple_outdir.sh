#!/usr/bin/env bash
# staple_outdir.sh -- several certificates in one run with --out-dir: each
# gets DIR/<basename>.ocsp, one JSON line / human line each, and the exit
# status is the worst of them; --parallel does not change the outcome; two
# certificates that would share an output file are refused before anything
# is fetched; a file name with a newline or ESC is printed escaped; a
# password in a --url is never printed.
# shellcheck source=SCRIPTDIR/../lab/lib.sh
. "$(dirname "$0")/../lab/lib.sh"
lab_enter_netns "$@"
lab_init
lab_require_holdfast
lab_setup_ca

UP=http://127.0.0.1:8080
DOWN=http://127.0.0.1:8070
for n in a b c; do lab_make_leaf "$CA" "$n" "$UP"; done
lab_make_leaf "$CA" unk "$UP"
lab_forget "$CA" unk           # the responder answers "unknown": CRITICAL
lab_make_leaf "$CA" stale "$DOWN" # responder down, valid staple kept: WARNING
lab_ocsp_responder "$CA" 8080 || not_ok "lab: responder" "did not start"

OUT=$LAB/out
mkdir -p "$OUT"
lab_presign "$CA" stale "$OUT/stale.pem.ocsp"
cp "$OUT/stale.pem.ocsp" "$LAB/stale.orig"

# --- all good: exit 0, a file per certificate.
hf_expect "three good: exit 0" 0 staple --json --out-dir "$OUT" "$CA/a.pem" "$CA/b.pem" "$CA/c.pem"
json_check "three good: three JSON lines, one per cert, all OK" \
	'sorted(o["cert"] for o in js) == sorted(E["CA"] + "/" + n + ".pem" for n in "abc")
	 and all(o["result"] == "OK" and o["written"] for o in js)'
json_check "three good: out is DIR/<basename>.ocsp" \
	'all(o["out"] == E["LAB"] + "/out/" + o["cert"].rsplit("/", 1)[1] + ".ocsp" for o in js)'
for n in a b c; do
	check "three good: $n.pem.ocsp verifies" ocsp_verify "$CA" "$n" "$OUT/$n.pem.ocsp" good
done

# --- good + WARNING: exit 1.
hf_expect "good + stale-but-valid: exit 1 (worst)" 1 \
	staple --out-dir "$OUT" "$CA/a.pem" "$CA/stale.pem"
check "good + stale-but-valid: kept staple byte-identical" cmp "$LAB/stale.orig" "$OUT/stale.pem.ocsp"
check "good + stale-but-valid: two human lines, OK and WARNING" \
	test "$(cut -d' ' -f1 "$HF_OUT" | sort | tr '\n' ' ')" = "OK WARNING "

# --- good + WARNING + CRITICAL: exit 2, the others still done.
rm -f "$OUT/a.pem.ocsp" "$OUT/b.pem.ocsp"
hf_expect "good, good, unknown, stale: exit 2 (worst)" 2 \
	staple --json --out-dir "$OUT" "$CA/a.pem" "$CA/unk.pem" "$CA/b.pem" "$CA/stale.pem"
json_check "mixed: four JSON lines with the right results" \
	'{o["cert"].rsplit("/", 1)[1]: o["result"] for o in js} ==
	 {"a.pem": "OK", "b.pem": "OK", "unk.pem": "CRITICAL", "stale.pem": "WARNING"}'
json_check "mixed: per-cert exit fields match the results" \
	'all(o["exit"] == {"OK": 0, "WARNING": 1, "CRITICAL": 2, "UNKNOWN": 3}[o["result"]] for o in js)'
check "mixed: a.pem.ocsp written and verifies" ocsp_verify "$CA" a "$OUT/a.pem.ocsp" good
check "mixed: b.pem.ocsp written and verifies" ocsp_verify "$CA" b "$OUT/b.pem.ocsp" good
check "mixed: no response stored for the unknown cert" no_response_stored "$OUT/unk.pem.ocsp"

# --- --parallel 1 and 3 give the same per-certificate outcome.
for p in 1 3; do
	hf_expect "--parallel $p: exit 2" 2 staple --json --parallel "$p" --out-dir "$OUT" \
		"$CA/a.pem" "$CA/b.pem" "$CA/c.pem" "$CA/unk.pem"
	json_check "--parallel $p: three OK, one CRITICAL" \
		'sorted(o["result"] for o in js) == ["CRITICAL", "OK", "OK", "OK"]'
done

# --- a/www.pem and b/www.pem would both write DIR/www.pem.ocsp: refused.
mkdir -p "$LAB/d1" "$LAB/d2" "$LAB/clash"
cp "$CA/a.pem" "$LAB/d1/www.pem"
cp "$CA/b.pem" "$LAB/d2/www.pem"
hf_expect "same basename twice: exit 3" 3 staple --out-dir "$LAB/clash" "$LAB/d1/www.pem" "$LAB/d2/www.pem"
err_check "same basename twice: both named with the shared file" \
	"$LAB/d1/www.pem and $LAB/d2/www.pem would both be written to $LAB/clash/www.pem.ocsp"
check "same basename twice: nothing written" test -z "$(ls -A "$LAB/clash")"

# --- a file name with a newline and ESC: one line, escaped.
bad=$LAB/$'bad\nOK forged.pem\e[31m'
cp "$CA/a.pem" "$bad"
hf_expect "odd file name: exit 0" 0 staple --out-dir "$OUT" "$bad"
check "odd file name: one output line" test "$(wc -l <"$HF_OUT")" = 1
out_check "odd file name: newline and ESC written as \\xHH" '^OK .*/bad\\x0aOK forged\.pem\\x1b\[31m: '

# --- a password in --url: redacted in text and JSON output and in the log.
# stale's own responder is down, so the backup answers and is named.
hf_expect "--url with userinfo: exit 0 (the backup answered)" 0 staple --json -v \
	--url "http://user:s3cret@127.0.0.1:8080/" --out "$LAB/u.ocsp" "$CA/stale.pem"
json_check "--url with userinfo: the responder is named, redacted" \
	'j["responder"].startswith("http://REDACTED@127.0.0.1:8080")'
check "--url with userinfo: the password is in no output" \
	lab_not grep -q "s3cret" "$HF_OUT" "$HF_ERR"

lab_finish
