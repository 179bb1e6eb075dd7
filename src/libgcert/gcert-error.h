/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * GCertError:
 * @GCERT_ERROR_FAILED: generic failure
 * @GCERT_ERROR_INVALID_DATA: the data (a file, a server answer) is malformed
 * @GCERT_ERROR_NOT_FOUND: the thing asked for does not exist
 * @GCERT_ERROR_NOT_SUPPORTED: the request cannot be served
 * @GCERT_ERROR_PERMISSION_DENIED: refused, e.g. a secret file readable by others
 * @GCERT_ERROR_TIMED_OUT: a bounded wait ran out
 * @GCERT_ERROR_RATE_LIMITED: the CA asked us to come back later
 * @GCERT_ERROR_CONFIG: the configuration is invalid (exit status 2)
 * @GCERT_ERROR_LOCKED: another run holds the lock (exit status 4)
 * @GCERT_ERROR_NETWORK: a transport failure that may go away by itself
 * @GCERT_ERROR_ACME: the CA answered with a problem document; the
 *   `GCERT_ACME_ERROR` domain carries the detail
 *
 * Coarse error codes of gcert, also registered as D-Bus error names.
 */
typedef enum {
  GCERT_ERROR_FAILED,
  GCERT_ERROR_INVALID_DATA,
  GCERT_ERROR_NOT_FOUND,
  GCERT_ERROR_NOT_SUPPORTED,
  GCERT_ERROR_PERMISSION_DENIED,
  GCERT_ERROR_TIMED_OUT,
  GCERT_ERROR_RATE_LIMITED,
  GCERT_ERROR_CONFIG,
  GCERT_ERROR_LOCKED,
  GCERT_ERROR_NETWORK,
} GCertError;

#define GCERT_ERROR (gcert_error_quark ())
GQuark gcert_error_quark (void);

/**
 * GCertAcmeError:
 *
 * One code per RFC 8555 §6.7 problem type
 * (`urn:ietf:params:acme:error:<name>`), plus
 * %GCERT_ACME_ERROR_OTHER for types we do not know.
 */
typedef enum {
  GCERT_ACME_ERROR_OTHER,
  GCERT_ACME_ERROR_ACCOUNT_DOES_NOT_EXIST,
  GCERT_ACME_ERROR_ALREADY_REVOKED,
  GCERT_ACME_ERROR_BAD_CSR,
  GCERT_ACME_ERROR_BAD_NONCE,
  GCERT_ACME_ERROR_BAD_PUBLIC_KEY,
  GCERT_ACME_ERROR_BAD_REVOCATION_REASON,
  GCERT_ACME_ERROR_BAD_SIGNATURE_ALGORITHM,
  GCERT_ACME_ERROR_CAA,
  GCERT_ACME_ERROR_COMPOUND,
  GCERT_ACME_ERROR_CONNECTION,
  GCERT_ACME_ERROR_DNS,
  GCERT_ACME_ERROR_EXTERNAL_ACCOUNT_REQUIRED,
  GCERT_ACME_ERROR_INCORRECT_RESPONSE,
  GCERT_ACME_ERROR_INVALID_CONTACT,
  GCERT_ACME_ERROR_MALFORMED,
  GCERT_ACME_ERROR_ORDER_NOT_READY,
  GCERT_ACME_ERROR_RATE_LIMITED,
  GCERT_ACME_ERROR_REJECTED_IDENTIFIER,
  GCERT_ACME_ERROR_SERVER_INTERNAL,
  GCERT_ACME_ERROR_TLS,
  GCERT_ACME_ERROR_UNAUTHORIZED,
  GCERT_ACME_ERROR_UNSUPPORTED_CONTACT,
  GCERT_ACME_ERROR_UNSUPPORTED_IDENTIFIER,
  GCERT_ACME_ERROR_USER_ACTION_REQUIRED,
} GCertAcmeError;

#define GCERT_ACME_ERROR (gcert_acme_error_quark ())
GQuark gcert_acme_error_quark (void);

GCertAcmeError gcert_acme_error_from_type (const char *type);
const char    *gcert_acme_error_to_type  (GCertAcmeError code);

/* Exit statuses shared by every gcert program (documented in gcertctl(1)). */
#define GCERT_EXIT_OK         0
#define GCERT_EXIT_FAILURE    1
#define GCERT_EXIT_USAGE      2
#define GCERT_EXIT_PARTIAL    3
#define GCERT_EXIT_LOCKED     4
#define GCERT_EXIT_TEMPFAIL  75

int gcert_error_to_exit_status (const GError *error);

G_END_DECLS
