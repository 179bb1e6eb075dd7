/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <gio/gio.h>
#include <string.h>

#include "gcert-error.h"

static const GDBusErrorEntry gcert_error_entries[] = {
  { GCERT_ERROR_FAILED, "org.gcert.Gcert1.Error.Failed" },
  { GCERT_ERROR_INVALID_DATA, "org.gcert.Gcert1.Error.InvalidData" },
  { GCERT_ERROR_NOT_FOUND, "org.gcert.Gcert1.Error.NotFound" },
  { GCERT_ERROR_NOT_SUPPORTED, "org.gcert.Gcert1.Error.NotSupported" },
  { GCERT_ERROR_PERMISSION_DENIED, "org.gcert.Gcert1.Error.PermissionDenied" },
  { GCERT_ERROR_TIMED_OUT, "org.gcert.Gcert1.Error.TimedOut" },
  { GCERT_ERROR_RATE_LIMITED, "org.gcert.Gcert1.Error.RateLimited" },
  { GCERT_ERROR_CONFIG, "org.gcert.Gcert1.Error.Config" },
  { GCERT_ERROR_LOCKED, "org.gcert.Gcert1.Error.Locked" },
  { GCERT_ERROR_NETWORK, "org.gcert.Gcert1.Error.Network" },
};

GQuark
gcert_error_quark (void)
{
  static gsize quark = 0;

  g_dbus_error_register_error_domain ("gcert-error-quark", &quark,
                                      gcert_error_entries,
                                      G_N_ELEMENTS (gcert_error_entries));
  return (GQuark) quark;
}

G_DEFINE_QUARK (gcert-acme-error-quark, gcert_acme_error)

static const struct {
  GCertAcmeError code;
  const char *name;
} acme_types[] = {
  { GCERT_ACME_ERROR_ACCOUNT_DOES_NOT_EXIST, "accountDoesNotExist" },
  { GCERT_ACME_ERROR_ALREADY_REVOKED, "alreadyRevoked" },
  { GCERT_ACME_ERROR_BAD_CSR, "badCSR" },
  { GCERT_ACME_ERROR_BAD_NONCE, "badNonce" },
  { GCERT_ACME_ERROR_BAD_PUBLIC_KEY, "badPublicKey" },
  { GCERT_ACME_ERROR_BAD_REVOCATION_REASON, "badRevocationReason" },
  { GCERT_ACME_ERROR_BAD_SIGNATURE_ALGORITHM, "badSignatureAlgorithm" },
  { GCERT_ACME_ERROR_CAA, "caa" },
  { GCERT_ACME_ERROR_COMPOUND, "compound" },
  { GCERT_ACME_ERROR_CONNECTION, "connection" },
  { GCERT_ACME_ERROR_DNS, "dns" },
  { GCERT_ACME_ERROR_EXTERNAL_ACCOUNT_REQUIRED, "externalAccountRequired" },
  { GCERT_ACME_ERROR_INCORRECT_RESPONSE, "incorrectResponse" },
  { GCERT_ACME_ERROR_INVALID_CONTACT, "invalidContact" },
  { GCERT_ACME_ERROR_MALFORMED, "malformed" },
  { GCERT_ACME_ERROR_ORDER_NOT_READY, "orderNotReady" },
  { GCERT_ACME_ERROR_RATE_LIMITED, "rateLimited" },
  { GCERT_ACME_ERROR_REJECTED_IDENTIFIER, "rejectedIdentifier" },
  { GCERT_ACME_ERROR_SERVER_INTERNAL, "serverInternal" },
  { GCERT_ACME_ERROR_TLS, "tls" },
  { GCERT_ACME_ERROR_UNAUTHORIZED, "unauthorized" },
  { GCERT_ACME_ERROR_UNSUPPORTED_CONTACT, "unsupportedContact" },
  { GCERT_ACME_ERROR_UNSUPPORTED_IDENTIFIER, "unsupportedIdentifier" },
  { GCERT_ACME_ERROR_USER_ACTION_REQUIRED, "userActionRequired" },
};

#define ACME_ERROR_PREFIX "urn:ietf:params:acme:error:"

GCertAcmeError
gcert_acme_error_from_type (const char *type)
{
  if (type == NULL || !g_str_has_prefix (type, ACME_ERROR_PREFIX))
    return GCERT_ACME_ERROR_OTHER;
  type += strlen (ACME_ERROR_PREFIX);
  for (gsize i = 0; i < G_N_ELEMENTS (acme_types); i++)
    {
      if (g_strcmp0 (acme_types[i].name, type) == 0)
        return acme_types[i].code;
    }
  return GCERT_ACME_ERROR_OTHER;
}

const char *
gcert_acme_error_to_type (GCertAcmeError code)
{
  for (gsize i = 0; i < G_N_ELEMENTS (acme_types); i++)
    {
      if (acme_types[i].code == code)
        return acme_types[i].name;
    }
  return NULL;
}

int
gcert_error_to_exit_status (const GError *error)
{
  if (error == NULL)
    return GCERT_EXIT_OK;
  if (error->domain == GCERT_ERROR)
    {
      switch ((GCertError) error->code)
        {
        case GCERT_ERROR_CONFIG:
          return GCERT_EXIT_USAGE;
        case GCERT_ERROR_LOCKED:
          return GCERT_EXIT_LOCKED;
        case GCERT_ERROR_RATE_LIMITED:
        case GCERT_ERROR_NETWORK:
        case GCERT_ERROR_TIMED_OUT:
          return GCERT_EXIT_TEMPFAIL;
        default:
          return GCERT_EXIT_FAILURE;
        }
    }
  if (error->domain == GCERT_ACME_ERROR)
    {
      switch ((GCertAcmeError) error->code)
        {
        case GCERT_ACME_ERROR_RATE_LIMITED:
        case GCERT_ACME_ERROR_SERVER_INTERNAL:
          return GCERT_EXIT_TEMPFAIL;
        default:
          return GCERT_EXIT_FAILURE;
        }
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE))
    return GCERT_EXIT_TEMPFAIL;
  return GCERT_EXIT_FAILURE;
}
