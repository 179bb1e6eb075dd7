/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "gcert-error.h"
#include "gcert-json-private.h"
#include "gcert-order.h"

/* Every string here comes from the CA and is treated as hostile: URLs are
 * checked by the client before use, tokens for charset and length. */

static const char * const status_names[] = {
  [GCERT_STATUS_UNKNOWN] = "unknown",
  [GCERT_STATUS_PENDING] = "pending",
  [GCERT_STATUS_READY] = "ready",
  [GCERT_STATUS_PROCESSING] = "processing",
  [GCERT_STATUS_VALID] = "valid",
  [GCERT_STATUS_INVALID] = "invalid",
  [GCERT_STATUS_EXPIRED] = "expired",
  [GCERT_STATUS_DEACTIVATED] = "deactivated",
  [GCERT_STATUS_REVOKED] = "revoked",
};

GCertStatus
gcert_status_from_string (const char *text)
{
  for (guint i = 1; i < G_N_ELEMENTS (status_names); i++)
    {
      if (g_strcmp0 (status_names[i], text) == 0)
        return (GCertStatus) i;
    }
  return GCERT_STATUS_UNKNOWN;
}

const char *
gcert_status_to_string (GCertStatus status)
{
  if ((guint) status >= G_N_ELEMENTS (status_names))
    return status_names[GCERT_STATUS_UNKNOWN];
  return status_names[status];
}

static GCertStatus
read_status (JsonObject  *object,
             const char  *what,
             GError     **error)
{
  const char *text = gcert_json_get_string (object, "status");
  GCertStatus status = gcert_status_from_string (text);

  if (status == GCERT_STATUS_UNKNOWN)
    g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                 _("the CA sent a %s without a known status"), what);
  return status;
}

static JsonNode *
copy_member (JsonObject *object,
             const char *member)
{
  JsonNode *node = object ? json_object_get_member (object, member) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_node_copy (node);
}

/* --- challenge ------------------------------------------------------------ */

struct _GCertChallenge
{
  GObject      parent_instance;
  char        *type;
  char        *url;
  char        *token;
  GCertStatus  status;
  JsonNode    *error;
};

G_DEFINE_TYPE (GCertChallenge, gcert_challenge, G_TYPE_OBJECT)

static void
gcert_challenge_finalize (GObject *object)
{
  GCertChallenge *self = GCERT_CHALLENGE (object);

  g_free (self->type);
  g_free (self->url);
  g_free (self->token);
  g_clear_pointer (&self->error, json_node_unref);
  G_OBJECT_CLASS (gcert_challenge_parent_class)->finalize (object);
}

static void
gcert_challenge_class_init (GCertChallengeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gcert_challenge_finalize;
}

static void
gcert_challenge_init (GCertChallenge *self)
{
}

static gboolean
token_is_valid (const char *token)
{
  gsize len = token ? strlen (token) : 0;

  /* RFC 8555 §8.1: at least 128 bits of entropy, base64url */
  if (len < 16 || len > 256)
    return FALSE;
  for (gsize i = 0; i < len; i++)
    {
      if (!g_ascii_isalnum (token[i]) && token[i] != '-' && token[i] != '_')
        return FALSE;
    }
  return TRUE;
}

GCertChallenge *
gcert_challenge_new_from_json (JsonNode  *node,
                               GError   **error)
{
  g_autoptr(GCertChallenge) self = g_object_new (GCERT_TYPE_CHALLENGE, NULL);
  JsonObject *object = gcert_json_node_get_object (node);
  const char *type = gcert_json_get_string (object, "type");
  const char *url = gcert_json_get_string (object, "url");
  const char *token = gcert_json_get_string (object, "token");

  if (type == NULL || url == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("the CA sent a challenge without type or URL"));
      return NULL;
    }
  self->type = g_strdup (type);
  self->url = g_strdup (url);
  self->status = read_status (object, "challenge", error);
  if (self->status == GCERT_STATUS_UNKNOWN)
    return NULL;
  /* only challenges we answer need a token we can trust */
  if (g_strcmp0 (type, "dns-01") == 0 && !token_is_valid (token))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("the CA sent a dns-01 challenge with an invalid token"));
      return NULL;
    }
  self->token = g_strdup (token);
  self->error = copy_member (object, "error");
  return g_steal_pointer (&self);
}

const char *
gcert_challenge_get_challenge_type (GCertChallenge *self)
{
  g_return_val_if_fail (GCERT_IS_CHALLENGE (self), NULL);
  return self->type;
}

const char *
gcert_challenge_get_url (GCertChallenge *self)
{
  g_return_val_if_fail (GCERT_IS_CHALLENGE (self), NULL);
  return self->url;
}

const char *
gcert_challenge_get_token (GCertChallenge *self)
{
  g_return_val_if_fail (GCERT_IS_CHALLENGE (self), NULL);
  return self->token;
}

GCertStatus
gcert_challenge_get_status (GCertChallenge *self)
{
  g_return_val_if_fail (GCERT_IS_CHALLENGE (self), GCERT_STATUS_UNKNOWN);
  return self->status;
}

JsonNode *
gcert_challenge_get_error (GCertChallenge *self)
{
  g_return_val_if_fail (GCERT_IS_CHALLENGE (self), NULL);
  return self->error;
}

/* --- authorization ----------------------------------------------------------- */

struct _GCertAuthorization
{
  GObject      parent_instance;
  char        *url;
  char        *identifier;
  gboolean     wildcard;
  GCertStatus  status;
  GPtrArray   *challenges;
};

G_DEFINE_TYPE (GCertAuthorization, gcert_authorization, G_TYPE_OBJECT)

static void
gcert_authorization_finalize (GObject *object)
{
  GCertAuthorization *self = GCERT_AUTHORIZATION (object);

  g_free (self->url);
  g_free (self->identifier);
  g_clear_pointer (&self->challenges, g_ptr_array_unref);
  G_OBJECT_CLASS (gcert_authorization_parent_class)->finalize (object);
}

static void
gcert_authorization_class_init (GCertAuthorizationClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gcert_authorization_finalize;
}

static void
gcert_authorization_init (GCertAuthorization *self)
{
  self->challenges = g_ptr_array_new_with_free_func (g_object_unref);
}

GCertAuthorization *
gcert_authorization_new_from_json (const char  *url,
                                   JsonNode    *node,
                                   GError     **error)
{
  g_autoptr(GCertAuthorization) self = g_object_new (GCERT_TYPE_AUTHORIZATION, NULL);
  JsonObject *object = gcert_json_node_get_object (node);
  JsonObject *ident = gcert_json_get_object (object, "identifier");
  const char *value = gcert_json_get_string (ident, "value");
  JsonArray *challenges = gcert_json_get_array (object, "challenges");

  if (g_strcmp0 (gcert_json_get_string (ident, "type"), "dns") != 0 || value == NULL ||
      strlen (value) > 253 || !g_utf8_validate (value, -1, NULL))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("the CA sent an authorization without a DNS identifier"));
      return NULL;
    }
  self->url = g_strdup (url);
  self->identifier = g_ascii_strdown (value, -1);
  self->wildcard = gcert_json_get_boolean (object, "wildcard");
  self->status = read_status (object, "authorization", error);
  if (self->status == GCERT_STATUS_UNKNOWN)
    return NULL;
  if (challenges == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("the CA sent an authorization for %s without challenges"),
                   self->identifier);
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (challenges) && i < 16; i++)
    {
      GCertChallenge *challenge;

      challenge = gcert_challenge_new_from_json (json_array_get_element (challenges, i), error);
      if (challenge == NULL)
        {
          g_prefix_error (error, "%s: ", self->identifier);
          return NULL;
        }
      g_ptr_array_add (self->challenges, challenge);
    }
  return g_steal_pointer (&self);
}

const char *
gcert_authorization_get_url (GCertAuthorization *self)
{
  g_return_val_if_fail (GCERT_IS_AUTHORIZATION (self), NULL);
  return self->url;
}

const char *
gcert_authorization_get_identifier (GCertAuthorization *self)
{
  g_return_val_if_fail (GCERT_IS_AUTHORIZATION (self), NULL);
  return self->identifier;
}

gboolean
gcert_authorization_get_wildcard (GCertAuthorization *self)
{
  g_return_val_if_fail (GCERT_IS_AUTHORIZATION (self), FALSE);
  return self->wildcard;
}

GCertStatus
gcert_authorization_get_status (GCertAuthorization *self)
{
  g_return_val_if_fail (GCERT_IS_AUTHORIZATION (self), GCERT_STATUS_UNKNOWN);
  return self->status;
}

GPtrArray *
gcert_authorization_get_challenges (GCertAuthorization *self)
{
  g_return_val_if_fail (GCERT_IS_AUTHORIZATION (self), NULL);
  return self->challenges;
}

GCertChallenge *
gcert_authorization_find_challenge (GCertAuthorization *self,
                                    const char         *type)
{
  g_return_val_if_fail (GCERT_IS_AUTHORIZATION (self), NULL);
  for (guint i = 0; i < self->challenges->len; i++)
    {
      GCertChallenge *challenge = g_ptr_array_index (self->challenges, i);

      if (g_strcmp0 (challenge->type, type) == 0)
        return challenge;
    }
  return NULL;
}

/* --- order -------------------------------------------------------------------- */

struct _GCertOrder
{
  GObject      parent_instance;
  char        *url;
  GCertStatus  status;
  GStrv        identifiers;
  GStrv        authorizations;
  char        *finalize;
  char        *certificate;
  JsonNode    *error;
};

G_DEFINE_TYPE (GCertOrder, gcert_order, G_TYPE_OBJECT)

static void
gcert_order_finalize (GObject *object)
{
  GCertOrder *self = GCERT_ORDER (object);

  g_free (self->url);
  g_strfreev (self->identifiers);
  g_strfreev (self->authorizations);
  g_free (self->finalize);
  g_free (self->certificate);
  g_clear_pointer (&self->error, json_node_unref);
  G_OBJECT_CLASS (gcert_order_parent_class)->finalize (object);
}

static void
gcert_order_class_init (GCertOrderClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = gcert_order_finalize;
}

static void
gcert_order_init (GCertOrder *self)
{
}

GCertOrder *
gcert_order_new_from_json (const char  *url,
                           JsonNode    *node,
                           GError     **error)
{
  g_autoptr(GCertOrder) self = g_object_new (GCERT_TYPE_ORDER, NULL);
  JsonObject *object = gcert_json_node_get_object (node);
  JsonArray *identifiers = gcert_json_get_array (object, "identifiers");
  JsonArray *authorizations = gcert_json_get_array (object, "authorizations");
  const char *finalize = gcert_json_get_string (object, "finalize");
  g_autoptr(GStrvBuilder) idents = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) authzs = g_strv_builder_new ();

  self->url = g_strdup (url);
  self->status = read_status (object, "order", error);
  if (self->status == GCERT_STATUS_UNKNOWN)
    return NULL;
  if (identifiers == NULL || authorizations == NULL || finalize == NULL ||
      json_array_get_length (identifiers) > 100 || json_array_get_length (authorizations) > 100)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("the CA sent an order without identifiers, authorizations or finalize URL"));
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (identifiers); i++)
    {
      JsonObject *ident = gcert_json_node_get_object (json_array_get_element (identifiers, i));
      const char *value = gcert_json_get_string (ident, "value");

      if (value == NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("the CA sent an order with an invalid identifier"));
          return NULL;
        }
      g_strv_builder_add (idents, value);
    }
  for (guint i = 0; i < json_array_get_length (authorizations); i++)
    {
      JsonNode *element = json_array_get_element (authorizations, i);

      if (!JSON_NODE_HOLDS_VALUE (element) || json_node_get_value_type (element) != G_TYPE_STRING)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("the CA sent an order with an invalid authorization URL"));
          return NULL;
        }
      g_strv_builder_add (authzs, json_node_get_string (element));
    }
  self->identifiers = g_strv_builder_end (idents);
  self->authorizations = g_strv_builder_end (authzs);
  self->finalize = g_strdup (finalize);
  self->certificate = g_strdup (gcert_json_get_string (object, "certificate"));
  self->error = copy_member (object, "error");
  return g_steal_pointer (&self);
}

const char *
gcert_order_get_url (GCertOrder *self)
{
  g_return_val_if_fail (GCERT_IS_ORDER (self), NULL);
  return self->url;
}

GCertStatus
gcert_order_get_status (GCertOrder *self)
{
  g_return_val_if_fail (GCERT_IS_ORDER (self), GCERT_STATUS_UNKNOWN);
  return self->status;
}

GStrv
gcert_order_get_identifiers (GCertOrder *self)
{
  g_return_val_if_fail (GCERT_IS_ORDER (self), NULL);
  return self->identifiers;
}

const char * const *
gcert_order_get_authorizations (GCertOrder *self)
{
  g_return_val_if_fail (GCERT_IS_ORDER (self), NULL);
  return (const char * const *) self->authorizations;
}

const char *
gcert_order_get_finalize (GCertOrder *self)
{
  g_return_val_if_fail (GCERT_IS_ORDER (self), NULL);
  return self->finalize;
}

const char *
gcert_order_get_certificate (GCertOrder *self)
{
  g_return_val_if_fail (GCERT_IS_ORDER (self), NULL);
  return self->certificate;
}

JsonNode *
gcert_order_get_error (GCertOrder *self)
{
  g_return_val_if_fail (GCERT_IS_ORDER (self), NULL);
  return self->error;
}
