/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* RFC 8555 §7.1.6 statuses of orders, authorizations and challenges */
typedef enum {
  GCERT_STATUS_UNKNOWN,
  GCERT_STATUS_PENDING,
  GCERT_STATUS_READY,
  GCERT_STATUS_PROCESSING,
  GCERT_STATUS_VALID,
  GCERT_STATUS_INVALID,
  GCERT_STATUS_EXPIRED,
  GCERT_STATUS_DEACTIVATED,
  GCERT_STATUS_REVOKED,
} GCertStatus;

GCertStatus gcert_status_from_string (const char *text);
const char *gcert_status_to_string   (GCertStatus status);

#define GCERT_TYPE_CHALLENGE (gcert_challenge_get_type ())
G_DECLARE_FINAL_TYPE (GCertChallenge, gcert_challenge, GCERT, CHALLENGE, GObject)

#define GCERT_TYPE_AUTHORIZATION (gcert_authorization_get_type ())
G_DECLARE_FINAL_TYPE (GCertAuthorization, gcert_authorization, GCERT, AUTHORIZATION, GObject)

#define GCERT_TYPE_ORDER (gcert_order_get_type ())
G_DECLARE_FINAL_TYPE (GCertOrder, gcert_order, GCERT, ORDER, GObject)

/* Challenge (RFC 8555 §8): the token is checked to be base64url of a sane
 * length, since it ends up in a DNS record. */
G_GNUC_WARN_UNUSED_RESULT
GCertChallenge *gcert_challenge_new_from_json  (JsonNode        *node,
                                                GError         **error);
const char     *gcert_challenge_get_challenge_type (GCertChallenge *self);
const char     *gcert_challenge_get_url        (GCertChallenge  *self);
const char     *gcert_challenge_get_token      (GCertChallenge  *self);
GCertStatus     gcert_challenge_get_status     (GCertChallenge  *self);
/* (nullable) the problem document of a failed challenge */
JsonNode       *gcert_challenge_get_error      (GCertChallenge  *self);

/* Authorization (RFC 8555 §7.1.4) */
G_GNUC_WARN_UNUSED_RESULT
GCertAuthorization *gcert_authorization_new_from_json (const char  *url,
                                                       JsonNode    *node,
                                                       GError     **error);
const char     *gcert_authorization_get_url        (GCertAuthorization *self);
/* the identifier's value, without "*." even for wildcards */
const char     *gcert_authorization_get_identifier (GCertAuthorization *self);
gboolean        gcert_authorization_get_wildcard   (GCertAuthorization *self);
GCertStatus     gcert_authorization_get_status     (GCertAuthorization *self);
/* (element-type GCertChallenge) */
GPtrArray      *gcert_authorization_get_challenges (GCertAuthorization *self);
GCertChallenge *gcert_authorization_find_challenge (GCertAuthorization *self,
                                                    const char         *type);

/* Order (RFC 8555 §7.1.3) */
G_GNUC_WARN_UNUSED_RESULT
GCertOrder     *gcert_order_new_from_json        (const char  *url,
                                                  JsonNode    *node,
                                                  GError     **error);
const char     *gcert_order_get_url              (GCertOrder  *self);
GCertStatus     gcert_order_get_status           (GCertOrder  *self);
/* identifier values as the CA lists them ("*.example.com" included) */
GStrv           gcert_order_get_identifiers      (GCertOrder  *self);
/* authorization URLs */
const char * const *gcert_order_get_authorizations (GCertOrder *self);
const char     *gcert_order_get_finalize         (GCertOrder  *self);
/* (nullable) */
const char     *gcert_order_get_certificate      (GCertOrder  *self);
/* (nullable) */
JsonNode       *gcert_order_get_error            (GCertOrder  *self);

G_END_DECLS
