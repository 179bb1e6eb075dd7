/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-key.h"

G_BEGIN_DECLS

/* A PKCS#10 request in DER for @domains, all as dNSName SANs, with no
 * Common Name, signed by @key (SHA-256, or SHA-384 for ec-384). */
GBytes *gcert_csr_new (GCertKey           *key,
                       const char * const *domains,
                       GError            **error);

G_END_DECLS
