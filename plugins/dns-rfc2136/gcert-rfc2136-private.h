/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>
#include <gnutls/crypto.h>

G_BEGIN_DECLS

/* The parts of the rfc2136 plugin below the provider: TSIG keys and the key
 * file (gcert-rfc2136-key.c), messages, signatures and their transport
 * (gcert-rfc2136-message.c). */

#define GCERT_RFC2136_HEADER_SIZE       12
#define GCERT_RFC2136_TSIG_FUDGE        300
#define GCERT_RFC2136_ALGORITHM_LIST \
  "hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, hmac-sha1"

typedef struct {
  const char             *name;   /* without the trailing dot */
  gnutls_mac_algorithm_t  mac;
} GCertRfc2136Algorithm;

/* "hmac-sha256", "HMAC-SHA256." …; NULL when not supported */
const GCertRfc2136Algorithm *gcert_rfc2136_algorithm_lookup (const char *name);

/* A TSIG key; the secret is wiped when it is cleared. */
typedef struct {
  char                        *name;        /* lowercase, with its trailing dot */
  const GCertRfc2136Algorithm *algorithm;
  guint8                      *secret;
  gsize                        secret_length;
} GCertRfc2136Key;

void     gcert_rfc2136_key_clear      (GCertRfc2136Key *key);
/* @base64 must pass gcert_rfc2136_is_base64() */
void     gcert_rfc2136_key_set_secret (GCertRfc2136Key *key,
                                       const char      *base64);

/* @name as a lowercase absolute domain name with its trailing dot, or NULL
 * when it is not a host-style name (letters, digits, '-', '_') */
char    *gcert_rfc2136_normalize_name (const char *name);
/* "example.test." → "example.test", for messages */
char    *gcert_rfc2136_display_name   (const char *name);
gboolean gcert_rfc2136_is_base64      (const char *text);

typedef struct {
  char                        *name;       /* normalized */
  const GCertRfc2136Algorithm *algorithm;
  char                        *secret;     /* base64, checked */
  guint                        line;
} GCertRfc2136KeyEntry;

void       gcert_rfc2136_key_entry_free (GCertRfc2136KeyEntry *entry);
/* The key statements of a file in BIND's key format (GCertRfc2136KeyEntry),
 * or NULL and a @problem that names the line and never quotes the text. */
GPtrArray *gcert_rfc2136_parse_key_file (const char  *text,
                                         char       **problem);

/* A TSIG record found in a message, pointing into it. */
typedef struct {
  gboolean      present;
  gsize         start;          /* where the TSIG record begins */
  char         *key_name;
  char         *algorithm;      /* with its trailing dot */
  guint64       time_signed;
  guint16       fudge;
  const guint8 *mac;
  gsize         mac_length;
  guint16       original_id;
  guint16       error;
  const guint8 *other;
  gsize         other_length;
} GCertRfc2136Tsig;

void     gcert_rfc2136_tsig_clear  (GCertRfc2136Tsig *tsig);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (GCertRfc2136Tsig, gcert_rfc2136_tsig_clear)

/* FALSE when @wire is not a well-formed message; its TSIG record (always
 * the last of the additional section) goes into @tsig */
gboolean gcert_rfc2136_find_tsig   (const guint8           *wire,
                                    gsize                   length,
                                    GCertRfc2136Tsig       *tsig);
/* Appends a TSIG record to the complete message @message and returns its
 * MAC, which the answer's signature covers. */
GBytes  *gcert_rfc2136_tsig_sign   (const GCertRfc2136Key  *key,
                                    GByteArray             *message,
                                    GError                **error);
/* TRUE when @tsig signs @answer, the answer to a request with @request_mac,
 * with @key */
gboolean gcert_rfc2136_tsig_verify (const GCertRfc2136Key  *key,
                                    GBytes                 *request_mac,
                                    const guint8           *answer,
                                    const GCertRfc2136Tsig *tsig);

guint16  gcert_rfc2136_random_id   (void);

/* Where and until when messages go. */
typedef struct {
  const char     *server;          /* for messages */
  GSocketAddress *address;
  guint           timeout_seconds; /* for messages */
  gint64          deadline;        /* monotonic */
  GCancellable   *cancellable;
} GCertRfc2136Exchange;

/* Sends @message and returns the answer with its id: over UDP, again with a
 * growing interval, and over TCP when the message is too large for UDP or
 * the answer is truncated. Cancellation is G_IO_ERROR_CANCELLED, any other
 * failure GCERT_ERROR_NETWORK. */
GBytes  *gcert_rfc2136_exchange    (GCertRfc2136Exchange   *exchange,
                                    const guint8           *message,
                                    gsize                   length,
                                    GError                **error);

G_END_DECLS
