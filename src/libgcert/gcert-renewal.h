/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-certificate.h"

G_BEGIN_DECLS

/**
 * gcert_renewal_due_time:
 * @renew_before: seconds; 0 means the default: a third of the lifetime, or
 *   half of it when the lifetime is under 10 days
 * @renew_every: seconds; 0 means no age limit
 *
 * When @cert becomes due, computed from its own notBefore/notAfter.
 */
/* the same from the two times alone */
GDateTime *gcert_renewal_due_time_for (GDateTime *not_before,
                                       GDateTime *not_after,
                                       gint64     renew_before,
                                       gint64     renew_every);

GDateTime *gcert_renewal_due_time (GCertCertificate *cert,
                                   gint64            renew_before,
                                   gint64            renew_every);

/**
 * gcert_renewal_is_due:
 * @live: (nullable): the live certificate
 * @out_reason: (out) (optional): "no certificate yet", "names changed",
 *   "key type changed", "N days left", "older than 30d", …; or why not due
 *
 * Returns: TRUE when @live is missing, its names or key type differ from
 * the wanted ones, less than renew-before remains, or it is older than
 * renew-every.
 */
gboolean   gcert_renewal_is_due   (GCertCertificate   *live,
                                   const char * const *domains,
                                   GCertKeyType        key_type,
                                   gint64              renew_before,
                                   gint64              renew_every,
                                   GDateTime          *now,
                                   char              **out_reason);

G_END_DECLS
