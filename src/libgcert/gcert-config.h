/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "gcert-key.h"
#include "gcert-settings.h"

G_BEGIN_DECLS

/* the most names one certificate may have (Let's Encrypt's limit) */
#define GCERT_CONFIG_MAX_DOMAINS 100

typedef struct {
  char         *name;
  GStrv         domains;       /* validated, lowercase, in config order */
  char         *dns;           /* name of a [dns NAME] group */
  GCertKeyType  key_type;
  gint64        renew_before;  /* seconds; 0 = default (a third of the lifetime) */
  gint64        renew_every;   /* seconds; 0 = never */
  char         *challenge_alias; /* nullable: its own, else its [dns] group's */
  GStrv         deploy;        /* [deploy NAME] targets, in order; may be empty */
  gboolean      per_target;    /* one of the NAME@TARGET certificates of a group */
  gboolean      target_name;   /* the target's host was added to @domains */
  char         *group;         /* the [certificate NAME] it comes from */
  char         *target;        /* nullable: its target, for per-target ones */
  GStrv         readers;       /* nullable: normalised by gcert_readers_parse() */
} GCertCertificateConfig;

/* The CA's published limits a plan must stay under; 0 = no limit. */
typedef struct {
  guint duplicates_per_week;   /* certificates for the same set of names */
  guint per_domain_per_week;   /* new certificates per registered domain */
  guint orders_per_3h;         /* new orders per account */
} GCertCaLimits;

#define GCERT_TYPE_CONFIG (gcert_config_get_type ())
G_DECLARE_FINAL_TYPE (GCertConfig, gcert_config, GCERT, CONFIG, GObject)

/* /etc/gcert/gcert.conf for root (GCERT_SYSCONFDIR overrides the directory),
 * $XDG_CONFIG_HOME/gcert/gcert.conf otherwise */
char        *gcert_config_default_path (void);

/* Loads @path and then conf.d/ *.conf beside it in name order (later files
 * win key by key). All or nothing: any error names file, line, group, key. */
G_GNUC_WARN_UNUSED_RESULT
GCertConfig *gcert_config_load           (const char   *path,
                                          GError      **error);
/* For tests: one file's text, no conf.d. @filename is used in errors and
 * as the base for relative paths. */
G_GNUC_WARN_UNUSED_RESULT
GCertConfig *gcert_config_load_from_data (const char   *data,
                                          const char   *filename,
                                          GError      **error);

const char  *gcert_config_get_path              (GCertConfig *self);
/* the directory URL: a preset resolved, or the URL as given */
const char  *gcert_config_get_directory_url     (GCertConfig *self);
/* a short filesystem-safe id for the CA, used by the store:
 * the preset name or "HOST[_PORT]" + "-" + 8 hex digits of the URL's hash */
const char  *gcert_config_get_ca_id             (GCertConfig *self);
/* a PEM file to trust for the CA's HTTPS, or NULL (GCERT_CA_CERTIFICATES
 * in the environment wins over the key) */
const char  *gcert_config_get_ca_certificates   (GCertConfig *self);
const char * const *gcert_config_get_contacts   (GCertConfig *self);
/* resolved: state-dir key, else GCERT_STATEDIR, else STATE_DIRECTORY (first
 * element), else /var/lib/gcert for root, $XDG_STATE_HOME/gcert otherwise */
const char  *gcert_config_get_state_dir         (GCertConfig *self);
GCertKeyType gcert_config_get_key_type          (GCertConfig *self);
gint64       gcert_config_get_renew_before      (GCertConfig *self);
gint64       gcert_config_get_renew_every       (GCertConfig *self);
/* "HOST:PORT" strings, or NULL for the zone's authoritative servers */
const char * const *gcert_config_get_resolvers  (GCertConfig *self);
/* seconds; default 120 */
guint        gcert_config_get_propagation_timeout (GCertConfig *self);
/* the longest Retry-After we honour, seconds; default 600 (key max-retry-after) */
guint        gcert_config_get_max_retry_after   (GCertConfig *self);

/* how many certificates a batch works on at once (key jobs, default 4) */
guint        gcert_config_get_jobs              (GCertConfig *self);
/* a program that receives a summary (key notify), or NULL */
const char  *gcert_config_get_notify            (GCertConfig *self);
/* a mail address the summary goes to through sendmail, or NULL */
const char  *gcert_config_get_notify_mail       (GCertConfig *self);
gboolean     gcert_config_get_notify_on_success (GCertConfig *self);
/* seconds before expiry from which a certificate not renewed is warned
 * about (key warn-before, default 14d) */
gint64       gcert_config_get_warn_before       (GCertConfig *self);
const GCertCaLimits *gcert_config_get_limits    (GCertConfig *self);

/* GCertCertificateConfig*, in config order (per-target groups expanded to
 * NAME@TARGET, one per target); owned by @self */
GPtrArray   *gcert_config_get_certificates      (GCertConfig *self);
GCertCertificateConfig *gcert_config_lookup_certificate (GCertConfig *self,
                                                         const char  *name);
/* names of the [dns NAME] groups */
GStrv        gcert_config_list_dns              (GCertConfig *self);
/* (transfer full) the [dns NAME] group, or NULL */
GCertSettings *gcert_config_get_dns_settings    (GCertConfig *self,
                                                 const char  *name);
/* the `zones` of a [dns NAME] group (lowercase, no trailing dot; empty
 * when not set), or NULL for an unknown group */
const char * const *gcert_config_get_dns_zones  (GCertConfig *self,
                                                 const char  *dns);
/* The [dns NAME] group whose `zones` hold @fqdn (the longest matching
 * zone wins), or NULL */
const char  *gcert_config_find_dns_for_name     (GCertConfig *self,
                                                 const char  *fqdn);
/* names of the [deploy NAME] groups */
GStrv        gcert_config_list_deploy           (GCertConfig *self);
/* (transfer full) the [deploy NAME] group, or NULL */
GCertSettings *gcert_config_get_deploy_settings (GCertConfig *self,
                                                 const char  *name);
/* Adds an ad-hoc certificate (gcertctl issue): validated like the config's
 * own; @key_type < 0 means the config's default. */
GCertCertificateConfig *gcert_config_add_certificate (GCertConfig        *self,
                                                      const char         *name,
                                                      const char * const *domains,
                                                      const char         *dns,
                                                      int                 key_type,
                                                      GError            **error);

/* "30d", "12h", "90m", "45s", "2w", combinations like "1d12h", or a plain
 * number of seconds */
gboolean gcert_duration_parse  (const char  *text,
                                gint64      *out_seconds,
                                GError     **error);
/* "30d", "1d12h", "45s" */
char    *gcert_duration_format (gint64       seconds);

/* A DNS name we can ask a certificate for: LDH labels, lowercase after
 * folding, at most 253 octets, a wildcard only as the whole leftmost label
 * ("*.example.com"), at least two labels. Writes the lowercase form. */
gboolean gcert_domain_validate (const char  *domain,
                                char       **out_normalized,
                                GError     **error);
/* A certificate name usable as a directory name: [A-Za-z0-9._@-]+, not
 * starting with '.', at most 64 characters. */
gboolean gcert_name_validate   (const char  *name,
                                GError     **error);

G_END_DECLS
