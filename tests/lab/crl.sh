# tests/lab/crl.sh -- CRLs for the lab CA (lab_make_ca's $CA): `openssl ca
# -gencrl` over the intermediate and its index.txt, and leaves with CRL
# distribution points. Sourced after lib.sh; used by revocation_crl.sh and
# daemon_crl.sh.

# lab_crl_setup [EXTRA]: $CA/ca.cnf for `openssl ca` (CRLs valid 7 days,
# numbered from 1000) over $CA/index.txt, with EXTRA (more sections, e.g.
# IDP extensions for -crlexts) appended.
lab_crl_setup() {
	{
		cat <<-EOF
			[ca]
			default_ca = lab
			[lab]
			database = $CA/index.txt
			crlnumber = $CA/crlnumber
			default_md = sha256
			default_crl_days = 7
			crl_extensions = crl_ext
			[crl_ext]
			authorityKeyIdentifier = keyid
		EOF
		[ -n "${1:-}" ] && printf '%s\n' "$1"
	} >"$CA/ca.cnf"
	echo 1000 >"$CA/crlnumber"
}

# lab_gencrl OUT [openssl ca options...]: a PEM CRL of $CA/index.txt signed
# by the intermediate (unless -keyfile/-cert are given again); the log is
# $LAB/logs/gencrl.log. Fails (with the log) when no CRL was written.
lab_gencrl() {
	local out=$1
	shift
	openssl ca -gencrl -config "$CA/ca.cnf" -keyfile "$CA/int.key" -cert "$CA/int.pem" \
		-out "$out.new" "$@" >>"$LAB/logs/gencrl.log" 2>&1 && [ -s "$out.new" ] &&
		mv "$out.new" "$out" || {
		echo "# lab_gencrl $out failed:"
		diag "$LAB/logs/gencrl.log" "  "
		return 1
	}
}

# lab_crl_leaf NAME EXT_LINE...: $CA/NAME.{crt,key,pem} (pem: leaf +
# intermediate), a P-256 leaf CN=NAME issued by the intermediate with the
# given extension lines besides the usual ones, and a V line in index.txt
# (like lab_make_leaf, which only takes OCSP URLs).
lab_crl_leaf() {
	local name=$1 serial
	shift
	{
		echo "[leaf]"
		echo "basicConstraints = critical, CA:false"
		echo "keyUsage = critical, digitalSignature"
		echo "subjectKeyIdentifier = hash"
		echo "authorityKeyIdentifier = keyid"
		printf '%s\n' "$@"
	} >"$CA/$name.ext"
	serial=$(lab_serial)
	(
		set -e
		cd "$CA"
		lab_ec_csr "$name" "/O=holdfast lab/CN=$name"
		openssl x509 -req -in "$name.csr" -CA int.pem -CAkey int.key \
			-set_serial "0x$serial" -days 30 -extfile "$name.ext" -extensions leaf \
			-out "$name.crt"
		cat "$name.crt" int.pem >"$name.pem"
	) >"$CA/$name.log" 2>&1 || {
		not_ok "lab: leaf $name" "openssl failed"
		diag "$CA/$name.log" "  "
		return 1
	}
	printf 'V\t%s\t\t%s\tunknown\t/O=holdfast lab/CN=%s\n' \
		"$(lab_index_date "$CA/$name.crt")" "$serial" "$name" >>"$CA/index.txt"
}

# lab_crl_dp URL: the extension line of a CRL distribution point.
lab_crl_dp() {
	echo "crlDistributionPoints = URI:$1"
}
