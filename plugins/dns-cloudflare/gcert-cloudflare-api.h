/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

/* a bound on paging, against a server whose pages never end */
#define GCERT_CLOUDFLARE_MAX_PAGES 1000

typedef struct {
  char *secret;
  char *origin;    /* "the API token in FILE", for messages */
} GCertCloudflareToken;

/* Wipes and frees the secret and the origin. */
void gcert_cloudflare_token_clear (GCertCloudflareToken *token);

/* An answer of the API in its envelope, whatever its HTTP status. */
typedef struct {
  guint       status;
  JsonNode   *root;
  JsonObject *envelope;
  gboolean    success;   /* "success": true and a 2xx status */
  GArray     *codes;     /* guint: errors[].code and their error_chain */
  char       *errors;    /* "code 10000: Authentication error; …" */
  char       *method;
  char       *url;
} GCertCloudflareReply;

void gcert_cloudflare_reply_free (GCertCloudflareReply *reply);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertCloudflareReply, gcert_cloudflare_reply_free)

/* One request with @token (@other, which may be %NULL, is only kept out of
 * error texts too), retried after 429, 5xx and transient network failures.
 * The finish function returns the reply for any envelope, and fails
 * (GCERT_ERROR_NETWORK, _RATE_LIMITED, _INVALID_DATA, _FAILED, or
 * G_IO_ERROR_CANCELLED) when there is none. Both tokens must outlive the
 * call. */
void                  gcert_cloudflare_call_async  (SoupSession                *session,
                                                    const GCertCloudflareToken *token,
                                                    const GCertCloudflareToken *other,
                                                    const char                 *method,
                                                    const char                 *url,
                                                    JsonNode                   *body,
                                                    GCancellable               *cancellable,
                                                    GAsyncReadyCallback         callback,
                                                    gpointer                    user_data);
GCertCloudflareReply *gcert_cloudflare_call_finish (GAsyncResult               *result,
                                                    GError                    **error);

gboolean    gcert_cloudflare_reply_has_code         (const GCertCloudflareReply  *reply,
                                                     guint                        code);
/* HTTP 401/403 or a code that says the token was refused */
gboolean    gcert_cloudflare_reply_is_auth_error    (const GCertCloudflareReply  *reply);
JsonArray  *gcert_cloudflare_reply_get_result_array (const GCertCloudflareReply  *reply,
                                                     GError                     **error);
/* result_info.total_pages; 1 when it is missing */
guint       gcert_cloudflare_reply_get_total_pages  (const GCertCloudflareReply  *reply);

/* @member of @object when it is a string, else %NULL */
const char *gcert_cloudflare_object_get_string      (JsonObject                  *object,
                                                     const char                  *member);
/* an id we are willing to put into a URL */
gboolean    gcert_cloudflare_is_safe_id             (const char                  *id);

G_END_DECLS
