/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * GCertRetryPolicy:
 *
 * The one retry policy every request of gcert goes through: how often and
 * how long to wait. Delays grow from @base_delay_ms by doubling up to
 * @max_delay_ms, with up to 25 % random jitter so that parallel runs do not
 * retry in step.
 */
typedef struct {
  guint max_bad_nonce;     /* badNonce retries per request (immediate) */
  guint max_transient;     /* 5xx / reset / truncated / timeout retries */
  guint max_rate_limited;  /* 429 / 503 with Retry-After */
  guint base_delay_ms;
  guint max_delay_ms;
  guint max_retry_after;   /* seconds; a longer Retry-After is clamped to it */
} GCertRetryPolicy;

#define GCERT_RETRY_POLICY_DEFAULT { 100, 8, 5, 250, 8000, 600 }

/* The delay before transient retry number @attempt (1-based). */
guint    gcert_retry_backoff_ms         (const GCertRetryPolicy *policy,
                                         guint                   attempt,
                                         GRand                  *rand);

/* Parses a Retry-After value (delta-seconds or an HTTP date) relative to
 * @now. Returns the delay in seconds (0 for a date in the past), or -1 when
 * the value is missing or malformed. The result is not clamped. */
gint64   gcert_retry_parse_retry_after  (const char             *value,
                                         GDateTime              *now);

/* Waits @delay_ms on the thread-default main context; cancellable. */
void     gcert_retry_sleep_async        (guint                   delay_ms,
                                         GCancellable           *cancellable,
                                         GAsyncReadyCallback     callback,
                                         gpointer                user_data);
gboolean gcert_retry_sleep_finish       (GAsyncResult           *result,
                                         GError                **error);

/* TRUE for errors worth retrying: resets, truncation, timeouts, refused
 * connections, a broken TLS connection; FALSE for certificate trust errors,
 * cancellation and anything else. */
gboolean gcert_retry_is_transient_error (const GError           *error);

G_END_DECLS
