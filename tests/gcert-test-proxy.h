/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-test-pebble.h"

G_BEGIN_DECLS

/* A fault-injecting HTTPS proxy between gcert and Pebble, on a free loopback
 * port, serving on the thread-default main context of its creator. Requests
 * that match no rule are forwarded; Pebble's URLs then name the proxy. */
typedef enum {
  GCERT_TEST_FAULT_503_RETRY_SECONDS,  /* 503, Retry-After: 1 */
  GCERT_TEST_FAULT_429_RETRY_DATE,     /* 429, Retry-After: an HTTP date ~1 s ahead */
  GCERT_TEST_FAULT_503_RETRY_GARBAGE,  /* 503, Retry-After: soon */
  GCERT_TEST_FAULT_500,                /* 500 with a problem document */
  GCERT_TEST_FAULT_RESET,              /* connection closed without an answer */
  GCERT_TEST_FAULT_TRUNCATE,           /* Pebble's answer, body cut in half */
  GCERT_TEST_FAULT_INVALID_JSON,       /* 200, application/json, not JSON */
  GCERT_TEST_FAULT_WRONG_TYPES,        /* 200, JSON of the wrong shape */
  GCERT_TEST_FAULT_HUGE_BODY,          /* 200, 100 MiB body streamed */
  GCERT_TEST_FAULT_WRONG_CONTENT_TYPE, /* Pebble's answer as text/html */
  GCERT_TEST_FAULT_HANG,               /* never answers */
  GCERT_TEST_FAULT_LOSE_ANSWER,        /* forwarded to Pebble, answer dropped (reset) */
  GCERT_TEST_FAULT_CHAIN_GARBAGE,      /* certificate download: not PEM */
  GCERT_TEST_FAULT_CHAIN_OTHER,        /* certificate download: a valid chain for
                                          another key and other names */
                                       /* (both: 200 and Pebble's headers, whatever
                                          Pebble answered) */
  GCERT_TEST_FAULT_CROSS_ORIGIN,       /* Location/URLs to another origin */
  GCERT_TEST_FAULT_BAD_NONCE_AS_HTML,  /* 400 badNonce problem labelled text/html */
} GCertTestFault;

typedef struct _GCertTestProxy GCertTestProxy;

GCertTestProxy *gcert_test_proxy_new          (GCertTestPebble *pebble,
                                               GError         **error);
void            gcert_test_proxy_free         (GCertTestProxy  *proxy);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (GCertTestProxy, gcert_test_proxy_free)

const char     *gcert_test_proxy_get_directory_url (GCertTestProxy *proxy);
/* the next @count requests whose path contains @path_part (NULL: any) and
 * whose method is @method (NULL: any) get @fault */
void            gcert_test_proxy_add_fault    (GCertTestProxy  *proxy,
                                               const char      *method,
                                               const char      *path_part,
                                               GCertTestFault   fault,
                                               guint            count);
/* every request has probability @rate of a random transient fault
 * (503/429/reset/truncate/500), from a seeded generator */
void            gcert_test_proxy_set_random_faults (GCertTestProxy *proxy,
                                                    double          rate,
                                                    guint32         seed);
guint           gcert_test_proxy_get_request_count (GCertTestProxy *proxy);
guint           gcert_test_proxy_get_fault_count   (GCertTestProxy *proxy);
/* requests passed on to Pebble (also those whose answer a fault then
 * spoils: TRUNCATE, WRONG_CONTENT_TYPE, LOSE_ANSWER, CHAIN_*, CROSS_ORIGIN;
 * the other faults answer without asking Pebble) */
guint           gcert_test_proxy_get_forward_count (GCertTestProxy *proxy);
/* CROSS_ORIGIN rewrites the client's origin to this one ("https://127.0.0.1:PORT"),
 * a second listener of the proxy that forwards like the first: the count
 * tells whether a client followed such a URL */
const char     *gcert_test_proxy_get_other_origin       (GCertTestProxy *proxy);
guint           gcert_test_proxy_get_other_origin_count (GCertTestProxy *proxy);

G_END_DECLS
