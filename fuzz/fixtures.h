/* Certificates the seed corpus in fuzz/corpus/ocsp_response was made for
 * (generated once with openssl; valid until 2126). */
#ifndef HOLDFAST_FUZZ_FIXTURES_H
#define HOLDFAST_FUZZ_FIXTURES_H

#include <openssl/pem.h>
static const char fixture_ca_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBnTCCAUOgAwIBAgIUQGzy1i+uRWXgWbUo90yk1fzxLCEwCgYIKoZIzj0EAwIw\n"
    "GzEZMBcGA1UEAwwQaG9sZGZhc3QgZnV6eiBDQTAgFw0yNjExMjkwMTU5MzZaGA8y\n"
    "MTI2MTEwNTAxNTkzNlowGzEZMBcGA1UEAwwQaG9sZGZhc3QgZnV6eiBDQTBZMBMG\n"
    "ByqGSM49AgEGCCqGSM49AwEHA0IABNBgMKC0aWXF+PASj0Zicty/WG85Egwt1NVW\n"
    "w+QVStTlgj2ZubWLOgNvo/oQRSzTeR2b3VeopdIUGzApP+oyXtejYzBhMB0GA1Ud\n"
    "DgQWBBQPvRONkG17Ugu6EBgfBU1hnicx+jAfBgNVHSMEGDAWgBQPvRONkG17Ugu6\n"
    "EBgfBU1hnicx+jAPBgNVHRMBAf8EBTADAQH/MA4GA1UdDwEB/wQEAwIBhjAKBggq\n"
    "hkjOPQQDAgNIADBFAiAxhC6k3juf0m2VCVW2g2xNMFdNLTzQpokngJCUzKZXbQIh\n"
    "AOaIYmRYQzVafOOEy1v8CgtYgQ4E/Ebn+yT0UoS/pI9e\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char fixture_leaf_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBkzCCATigAwIBAgICEAEwCgYIKoZIzj0EAwIwGzEZMBcGA1UEAwwQaG9sZGZh\n"
    "c3QgZnV6eiBDQTAgFw0yNjExMjkwMTU5MzZaGA8yMTI2MTEwNTAxNTkzNlowDzEN\n"
    "MAsGA1UEAwwEbGVhZjBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABK8UFHYaqGh7\n"
    "TTbMivDFXWPOF3orz8gKfIud/cqGg56qKGar3X24YActQDGnbW+I/XEnPa+r5+iR\n"
    "v317ty8E/CSjdjB0MDIGCCsGAQUFBwEBBCYwJDAiBggrBgEFBQcwAYYWaHR0cDov\n"
    "LzEyNy4wLjAuMTo4MDgwLzAdBgNVHQ4EFgQUiArDpRneAqoFBDrEx9xSQbqqegcw\n"
    "HwYDVR0jBBgwFoAUD70TjZBte1ILuhAYHwVNYZ4nMfowCgYIKoZIzj0EAwIDSQAw\n"
    "RgIhAOZGmaVj15hPYGC10EMp3ScPz1WyD5YydZF9TIRw58X0AiEAzi8Ew+wOKPv1\n"
    "38UJX8nf5+nANEYBt3uWEI1NBupwsw8=\n"
    "-----END CERTIFICATE-----\n"
    ;
/* One certificate from PEM text (X509_free), or NULL. */
static inline X509 *fixture_load(const char *pem)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;

	BIO_free(bio);
	return x;
}

#endif
