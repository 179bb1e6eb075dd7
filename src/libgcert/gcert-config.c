/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

#include "gcert-config.h"
#include "gcert-error.h"
#include "gcert-readers.h"


static const struct {
  const char *name;
  const char *url;
} ca_presets[] = {
  { "letsencrypt", "https://acme-v02.api.letsencrypt.org/directory" },
  { "letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory" },
  { "zerossl", "https://acme.zerossl.com/v2/DV90" },
  { "buypass", "https://api.buypass.com/acme/directory" },
  { "google", "https://dv.acme-v02.api.pki.goog/directory" },
};

static const char * const gcert_group_keys[] = {
  "ca", "ca-certificates", "contact", "state-dir", "key-type", "renew-before",
  "renew-every", "resolvers", "propagation-timeout", "max-retry-after", "jobs", "notify",
  "notify-mail", "notify-on-success", "warn-before", "limit-duplicates", "limit-per-domain",
  "limit-orders", NULL
};

static const char * const certificate_group_keys[] = {
  "domains", "dns", "key-type", "renew-before", "renew-every", "challenge-alias", "deploy",
  "per-target", "target-name", "readers", NULL
};

/* the keys of a [dns NAME] group that the core reads; plugins read the rest */
static const char * const dns_group_common_keys[] = {
  "plugin", "zones", "challenge-alias", NULL
};

static const char * const deploy_group_common_keys[] = {
  "plugin", NULL
};

#define KEY_TYPES_TEXT "ec-256, ec-384, rsa-2048, rsa-3072, rsa-4096"

typedef struct {
  char       *file;
  guint       line;
  GHashTable *origins;  /* key -> "FILE:LINE" */
} GroupInfo;

struct _GCertConfig
{
  GObject      parent_instance;

  char        *path;
  char        *base_dir;
  GKeyFile    *keyfile;        /* all files merged */
  GHashTable  *groups;         /* group -> GroupInfo */
  GPtrArray   *group_order;    /* group names, by first appearance */

  char        *directory_url;
  char        *ca_id;
  char        *ca_certificates;
  GStrv        contacts;
  char        *state_dir;
  GCertKeyType key_type;
  gint64       renew_before;
  gint64       renew_every;
  GStrv        resolvers;
  guint        propagation_timeout;
  guint        max_retry_after;
  GPtrArray   *certificates;   /* GCertCertificateConfig */
  GPtrArray   *dns_names;
  GHashTable  *dns_zones;      /* dns name → GStrv, lowercase, no trailing dot */
  GHashTable  *dns_aliases;    /* dns name → challenge alias */
  GPtrArray   *deploy_names;
  guint        jobs;
  char        *notify;
  char        *notify_mail;
  gboolean     notify_on_success;
  gint64       warn_before;
  GCertCaLimits limits;
};

G_DEFINE_TYPE (GCertConfig, gcert_config, G_TYPE_OBJECT)

static void
group_info_free (GroupInfo *info)
{
  g_free (info->file);
  g_hash_table_unref (info->origins);
  g_free (info);
}

static void
certificate_config_free (GCertCertificateConfig *cert)
{
  g_free (cert->name);
  g_strfreev (cert->domains);
  g_free (cert->dns);
  g_free (cert->challenge_alias);
  g_strfreev (cert->deploy);
  g_free (cert->group);
  g_free (cert->target);
  g_strfreev (cert->readers);
  g_free (cert);
}

static void
gcert_config_finalize (GObject *object)
{
  GCertConfig *self = GCERT_CONFIG (object);

  g_free (self->path);
  g_free (self->base_dir);
  g_clear_pointer (&self->keyfile, g_key_file_unref);
  g_clear_pointer (&self->groups, g_hash_table_unref);
  g_clear_pointer (&self->group_order, g_ptr_array_unref);
  g_free (self->directory_url);
  g_free (self->ca_id);
  g_free (self->ca_certificates);
  g_strfreev (self->contacts);
  g_free (self->state_dir);
  g_strfreev (self->resolvers);
  g_clear_pointer (&self->certificates, g_ptr_array_unref);
  g_clear_pointer (&self->dns_names, g_ptr_array_unref);
  g_clear_pointer (&self->dns_zones, g_hash_table_unref);
  g_clear_pointer (&self->dns_aliases, g_hash_table_unref);
  g_clear_pointer (&self->deploy_names, g_ptr_array_unref);
  g_free (self->notify);
  g_free (self->notify_mail);

  G_OBJECT_CLASS (gcert_config_parent_class)->finalize (object);
}

static void
gcert_config_class_init (GCertConfigClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_config_finalize;
}

static void
gcert_config_init (GCertConfig *self)
{
  self->keyfile = g_key_file_new ();
  self->groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                        (GDestroyNotify) group_info_free);
  self->group_order = g_ptr_array_new_with_free_func (g_free);
  self->certificates = g_ptr_array_new_with_free_func ((GDestroyNotify) certificate_config_free);
  self->dns_names = g_ptr_array_new_with_free_func (g_free);
  self->dns_zones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_strfreev);
  self->dns_aliases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->deploy_names = g_ptr_array_new_with_free_func (g_free);
  self->key_type = GCERT_KEY_TYPE_DEFAULT;
  self->propagation_timeout = 120;
  self->max_retry_after = 600;
  self->jobs = 4;
  self->warn_before = 14 * 24 * 3600;
}

/* ---- paths ---- */

char *
gcert_config_default_path (void)
{
  const char *dir = g_getenv ("GCERT_SYSCONFDIR");

  if (dir != NULL && *dir != '\0')
    return g_build_filename (dir, "gcert.conf", NULL);
  if (geteuid () == 0)
    return g_build_filename (GCERT_SYSCONFDIR, "gcert.conf", NULL);
  return g_build_filename (g_get_user_config_dir (), "gcert", "gcert.conf", NULL);
}

static char *
default_state_dir (void)
{
  const char *dir = g_getenv ("GCERT_STATEDIR");

  if (dir != NULL && *dir != '\0')
    return g_strdup (dir);

  /* systemd's StateDirectory= may list several, separated by ':' */
  dir = g_getenv ("STATE_DIRECTORY");
  if (dir != NULL && *dir != '\0')
    {
      const char *colon = strchr (dir, ':');

      if (colon == NULL)
        return g_strdup (dir);
      if (colon > dir)
        return g_strndup (dir, colon - dir);
    }

  if (geteuid () == 0)
    return g_strdup (GCERT_LOCALSTATEDIR);
  return g_build_filename (g_get_user_state_dir (), "gcert", NULL);
}

/* ---- reading files: lines of groups and keys ---- */

static char *
line_key (const char *group,
          const char *key)
{
  return g_strconcat (group, "\n", key, NULL);
}

static gboolean
is_blank (const char *p)
{
  for (; *p != '\0'; p++)
    {
      if (!g_ascii_isspace (*p))
        return FALSE;
    }
  return TRUE;
}

/* GKeyFile keeps no line numbers, so the text is read once more here to
 * find them, and to report malformed lines with their number. */
static gboolean
scan_lines (const char  *file,
            const char  *text,
            GHashTable  *lines,
            GError     **error)
{
  g_auto(GStrv) split = g_strsplit (text, "\n", -1);
  g_autofree char *group = NULL;

  for (guint i = 0; split[i] != NULL; i++)
    {
      guint lineno = i + 1;
      char *line = split[i];
      char *eq;

      if (!g_utf8_validate (line, -1, NULL))
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("%s:%u: the line is not valid UTF-8"), file, lineno);
          return FALSE;
        }
      g_strstrip (line);
      if (*line == '\0' || *line == '#')
        continue;

      if (*line == '[')
        {
          char *end = strchr (line, ']');

          if (end == NULL || !is_blank (end + 1) || end == line + 1)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                           _("%s:%u: invalid group header “%s” "
                             "(expected “[NAME]”)"), file, lineno, line);
              return FALSE;
            }
          g_free (group);
          group = g_strndup (line + 1, end - line - 1);
          if (strchr (group, '[') != NULL)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                           _("%s:%u: invalid group header “%s” "
                             "(expected “[NAME]”)"), file, lineno, line);
              return FALSE;
            }
          /* the first header wins when a group is repeated */
          if (!g_hash_table_contains (lines, group))
            g_hash_table_insert (lines, g_strdup (group), GUINT_TO_POINTER (lineno));
          continue;
        }

      eq = strchr (line, '=');
      if (eq == NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("%s:%u: expected “[group]”, “key = value” or a "
                         "“#” comment, found “%s”"), file, lineno, line);
          return FALSE;
        }
      *eq = '\0';
      g_strchomp (line);
      if (*line == '\0')
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("%s:%u: a key name is missing before “=”"), file, lineno);
          return FALSE;
        }
      if (group == NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("%s:%u: key “%s” appears before any [group]"),
                       file, lineno, line);
          return FALSE;
        }
      if (strchr (line, '[') != NULL)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("%s:%u: [%s] %s: localized keys are not supported"),
                       file, lineno, group, line);
          return FALSE;
        }
      /* the last one wins, as in GKeyFile */
      g_hash_table_insert (lines, line_key (group, line), GUINT_TO_POINTER (lineno));
    }
  return TRUE;
}

static gboolean
merge_text (GCertConfig  *self,
            const char   *file,
            const char   *text,
            gsize         length,
            GError      **error)
{
  g_autoptr(GHashTable) lines = NULL;
  g_autoptr(GKeyFile) keyfile = g_key_file_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *copy = NULL;
  g_auto(GStrv) groups = NULL;

  if (memchr (text, '\0', length) != NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("%s: the file contains a NUL byte"), file);
      return FALSE;
    }
  copy = g_strndup (text, length);

  lines = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!scan_lines (file, copy, lines, error))
    return FALSE;

  if (!g_key_file_load_from_data (keyfile, text, length, G_KEY_FILE_NONE, &local_error))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG, "%s: %s",
                   file, local_error->message);
      return FALSE;
    }

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (keyfile, groups[i], NULL, NULL);
      GroupInfo *info = g_hash_table_lookup (self->groups, groups[i]);

      if (info == NULL)
        {
          info = g_new0 (GroupInfo, 1);
          info->file = g_strdup (file);
          info->line = GPOINTER_TO_UINT (g_hash_table_lookup (lines, groups[i]));
          info->origins = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
          g_hash_table_insert (self->groups, g_strdup (groups[i]), info);
          g_ptr_array_add (self->group_order, g_strdup (groups[i]));
        }

      for (guint j = 0; keys != NULL && keys[j] != NULL; j++)
        {
          g_autofree char *value = g_key_file_get_value (keyfile, groups[i], keys[j], NULL);
          g_autofree char *lk = line_key (groups[i], keys[j]);
          guint lineno = GPOINTER_TO_UINT (g_hash_table_lookup (lines, lk));

          g_key_file_set_value (self->keyfile, groups[i], keys[j],
                                value != NULL ? value : "");
          g_hash_table_insert (info->origins, g_strdup (keys[j]),
                               lineno > 0 ? g_strdup_printf ("%s:%u", file, lineno)
                                          : g_strdup (file));
        }
    }
  return TRUE;
}

static gboolean
merge_file (GCertConfig  *self,
            const char   *file,
            GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  gsize length = 0;

  if (!g_file_get_contents (file, &text, &length, &local_error))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("cannot read configuration file %s: %s"),
                   file, local_error->message);
      return FALSE;
    }
  return merge_text (self, file, text, length, error);
}

/* ---- values ---- */

static GCertSettings *
settings_for_group (GCertConfig *self,
                    const char  *group)
{
  GroupInfo *info = g_hash_table_lookup (self->groups, group);
  GCertSettings *settings;

  if (info == NULL)
    return NULL;
  settings = gcert_settings_new (self->keyfile, group, info->file, info->line,
                                 info->origins);
  gcert_settings_set_base_dir (settings, self->base_dir);
  if (g_str_has_prefix (group, "dns "))
    gcert_settings_set_common_keys (settings, dns_group_common_keys);
  else if (g_str_has_prefix (group, "deploy "))
    gcert_settings_set_common_keys (settings, deploy_group_common_keys);
  return settings;
}

static gboolean
is_loopback_host (const char *host)
{
  return g_ascii_strcasecmp (host, "localhost") == 0 ||
         g_strcmp0 (host, "127.0.0.1") == 0 ||
         g_strcmp0 (host, "::1") == 0;
}

/* "HOST[_PORT]-XXXXXXXX", safe as one path component */
static char *
make_ca_id (const char *url,
            GUri       *uri)
{
  g_autofree char *checksum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, url, -1);
  g_autofree char *host = g_ascii_strdown (g_uri_get_host (uri), -1);
  g_autoptr(GString) id = g_string_new (NULL);

  for (char *p = host; *p != '\0'; p++)
    {
      if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
        *p = '_';
    }
  /* a leading '.' would make a hidden directory */
  if (host[0] == '.')
    g_string_append_c (id, '_');
  g_string_append (id, host);
  if (g_uri_get_port (uri) > 0)
    g_string_append_printf (id, "_%d", g_uri_get_port (uri));
  checksum[8] = '\0';
  g_string_append_printf (id, "-%s", checksum);
  return g_string_free (g_steal_pointer (&id), FALSE);
}

static gboolean
parse_ca (GCertConfig    *self,
          GCertSettings  *settings,
          const char     *value,
          GError        **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *scheme;
  const char *host;

  for (gsize i = 0; i < G_N_ELEMENTS (ca_presets); i++)
    {
      if (g_strcmp0 (value, ca_presets[i].name) == 0 ||
          g_strcmp0 (value, ca_presets[i].url) == 0)
        {
          self->directory_url = g_strdup (ca_presets[i].url);
          self->ca_id = g_strdup (ca_presets[i].name);
          return TRUE;
        }
    }

  if (strstr (value, "://") == NULL)
    {
      gcert_settings_set_error (settings, error, "ca",
                                _("unknown CA “%s” (use letsencrypt, "
                                  "letsencrypt-staging, zerossl, buypass, google "
                                  "or an https:// directory URL)"), value);
      return FALSE;
    }

  uri = g_uri_parse (value, G_URI_FLAGS_NONE, &local_error);
  if (uri == NULL)
    {
      gcert_settings_set_error (settings, error, "ca",
                                _("invalid directory URL: %s"), local_error->message);
      return FALSE;
    }
  scheme = g_uri_get_scheme (uri);
  host = g_uri_get_host (uri);
  if (host == NULL || *host == '\0')
    {
      gcert_settings_set_error (settings, error, "ca",
                                _("invalid directory URL “%s”: no host"), value);
      return FALSE;
    }
  if (g_uri_get_userinfo (uri) != NULL)
    {
      gcert_settings_set_error (settings, error, "ca",
                                _("invalid directory URL: it must not contain "
                                  "a user name or password"));
      return FALSE;
    }
  if (g_ascii_strcasecmp (scheme, "https") != 0 &&
      !(g_ascii_strcasecmp (scheme, "http") == 0 && is_loopback_host (host)))
    {
      gcert_settings_set_error (settings, error, "ca",
                                _("invalid directory URL “%s”: it must use "
                                  "https:// (http:// only for localhost)"), value);
      return FALSE;
    }

  self->directory_url = g_strdup (value);
  self->ca_id = make_ca_id (value, uri);
  return TRUE;
}

static gboolean
validate_contact (const char  *contact,
                  char       **out_normalized,
                  GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *domain = NULL;
  const char *address;
  const char *at;

  if (g_ascii_strncasecmp (contact, "mailto:", strlen ("mailto:")) != 0)
    {
      if (strchr (contact, '@') != NULL && strchr (contact, ':') == NULL)
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                     _("invalid contact “%s”: write it as “mailto:%s”"),
                     contact, contact);
      else
        g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                     _("invalid contact “%s”: only mailto: URIs are supported"),
                     contact);
      return FALSE;
    }
  address = contact + strlen ("mailto:");
  for (const char *p = address; *p != '\0'; p++)
    {
      if ((guchar) *p <= ' ' || strchr (",?<>()[]\\\"", *p) != NULL || (guchar) *p >= 0x7f)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                       _("invalid contact “%s”: one plain e-mail address "
                         "expected, without spaces, “,” or “?”"), contact);
          return FALSE;
        }
    }
  at = strchr (address, '@');
  if (at == NULL || at == address || strchr (at + 1, '@') != NULL || at - address > 64)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("invalid contact “%s”: not an e-mail address"), contact);
      return FALSE;
    }
  if (at[1] == '*' ||
      !gcert_domain_validate (at + 1, &domain, &local_error))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("invalid contact “%s”: bad domain"), contact);
      return FALSE;
    }
  *out_normalized = g_strdup_printf ("mailto:%.*s@%s", (int) (at - address), address, domain);
  return TRUE;
}

static gboolean
parse_port (const char *text,
            guint      *out_port)
{
  guint64 port;

  if (*text == '\0' || strlen (text) > 5)
    return FALSE;
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
    }
  port = g_ascii_strtoull (text, NULL, 10);
  if (port == 0 || port > 65535)
    return FALSE;
  *out_port = (guint) port;
  return TRUE;
}

static gboolean
is_host_name (const char *host)
{
  g_auto(GStrv) labels = NULL;
  gsize len = strlen (host);

  if (len == 0 || len > 253)
    return FALSE;
  labels = g_strsplit (host, ".", -1);
  for (guint i = 0; labels[i] != NULL; i++)
    {
      const char *label = labels[i];
      gsize label_len = strlen (label);

      /* a trailing dot leaves an empty last label */
      if (label_len == 0 && labels[i + 1] == NULL && i > 0)
        continue;
      if (label_len == 0 || label_len > 63 || label[0] == '-' || label[label_len - 1] == '-')
        return FALSE;
      for (const char *p = label; *p != '\0'; p++)
        {
          if (!g_ascii_isalnum (*p) && *p != '-')
            return FALSE;
        }
    }
  return TRUE;
}

/* "HOST", "HOST:PORT", "[V6]:PORT", "V6" -> "HOST:PORT" / "[V6]:PORT" */
static char *
normalize_resolver (const char *text)
{
  g_autofree char *host = NULL;
  guint port = 53;

  if (text[0] == '[')
    {
      const char *end = strchr (text, ']');

      if (end == NULL)
        return NULL;
      host = g_strndup (text + 1, end - text - 1);
      if (strchr (host, ':') == NULL || !g_hostname_is_ip_address (host))
        return NULL;
      if (end[1] != '\0' && (end[1] != ':' || !parse_port (end + 2, &port)))
        return NULL;
      return g_strdup_printf ("[%s]:%u", host, port);
    }

  if (strchr (text, ':') != strrchr (text, ':'))
    {
      /* more than one ':' is a bare IPv6 address */
      if (!g_hostname_is_ip_address (text))
        return NULL;
      return g_strdup_printf ("[%s]:%u", text, port);
    }

  if (strchr (text, ':') != NULL)
    {
      const char *colon = strchr (text, ':');

      host = g_strndup (text, colon - text);
      if (!parse_port (colon + 1, &port))
        return NULL;
    }
  else
    {
      host = g_strdup (text);
    }
  if (!g_hostname_is_ip_address (host) && !is_host_name (host))
    return NULL;
  return g_strdup_printf ("%s:%u", host, port);
}

static gboolean
parse_key_type (GCertSettings  *settings,
                const char     *key,
                GCertKeyType    default_value,
                GCertKeyType   *out_type,
                GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *value = gcert_settings_get_string (settings, key, FALSE, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (value == NULL)
    {
      *out_type = default_value;
      return TRUE;
    }
  if (!gcert_key_type_from_string (value, out_type))
    {
      gcert_settings_set_error (settings, error, key,
                                _("unknown key type “%s” (use one of %s)"),
                                value, KEY_TYPES_TEXT);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_positive_duration (GCertSettings  *settings,
                         const char     *key,
                         guint           default_value,
                         guint          *out_value,
                         GError        **error)
{
  gint64 seconds;

  if (!gcert_settings_get_duration (settings, key, default_value, &seconds, error))
    return FALSE;
  if (seconds <= 0 || seconds > G_MAXINT)
    {
      gcert_settings_set_error (settings, error, key,
                                _("must be between 1s and %s"), "24855d");
      return FALSE;
    }
  *out_value = (guint) seconds;
  return TRUE;
}

static gboolean
parse_count (GCertSettings  *settings,
             const char     *key,
             guint           minimum,
             guint           maximum,
             guint          *in_out_value,
             GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;
  guint64 value;

  text = gcert_settings_get_string (settings, key, FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_unsigned (text, 10, minimum, maximum, &value, NULL))
    {
      gcert_settings_set_error (settings, error, key,
                                _("“%s” is not a whole number from %u to %u"), text,
                                minimum, maximum);
      return FALSE;
    }
  *in_out_value = (guint) value;
  return TRUE;
}

/* The limits the CA publishes (Let's Encrypt's, for its presets), which a
 * plan of many new certificates must stay under. */
static void
default_limits (const char    *ca_id,
                GCertCaLimits *limits)
{
  memset (limits, 0, sizeof *limits);
  if (g_strcmp0 (ca_id, "letsencrypt") == 0 || g_strcmp0 (ca_id, "letsencrypt-staging") == 0)
    {
      limits->duplicates_per_week = 5;
      limits->per_domain_per_week = 50;
      limits->orders_per_3h = 300;
    }
}

static gboolean
parse_batch_keys (GCertConfig    *self,
                  GCertSettings  *settings,
                  GError        **error)
{
  g_autoptr(GError) local_error = NULL;

  if (!parse_count (settings, "jobs", 1, 256, &self->jobs, error))
    return FALSE;

  self->notify = gcert_settings_get_path (settings, "notify", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  self->notify_mail = gcert_settings_get_string (settings, "notify-mail", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (self->notify_mail != NULL &&
      (strchr (self->notify_mail, '@') == NULL || strpbrk (self->notify_mail, " \t\r\n<>,;") != NULL ||
       self->notify_mail[0] == '-'))
    {
      gcert_settings_set_error (settings, error, "notify-mail",
                                _("“%s” is not a single mail address"), self->notify_mail);
      return FALSE;
    }
  if (!gcert_settings_get_boolean (settings, "notify-on-success", FALSE,
                                   &self->notify_on_success, error))
    return FALSE;
  if (!gcert_settings_get_duration (settings, "warn-before", self->warn_before,
                                    &self->warn_before, error))
    return FALSE;

  default_limits (self->ca_id, &self->limits);
  if (!parse_count (settings, "limit-duplicates", 0, 100000,
                    &self->limits.duplicates_per_week, error) ||
      !parse_count (settings, "limit-per-domain", 0, 100000,
                    &self->limits.per_domain_per_week, error) ||
      !parse_count (settings, "limit-orders", 0, 1000000, &self->limits.orders_per_3h, error))
    return FALSE;
  return TRUE;
}

static gboolean
parse_gcert_group (GCertConfig    *self,
                   GCertSettings  *settings,
                   GError        **error)
{
  g_autofree char *ca = NULL;
  g_autofree char *state_dir = NULL;
  g_auto(GStrv) contacts = NULL;
  g_auto(GStrv) resolvers = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!gcert_settings_check_keys (settings, gcert_group_keys, error))
    return FALSE;

  ca = gcert_settings_get_string (settings, "ca", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (ca != NULL && !parse_ca (self, settings, ca, error))
    return FALSE;

  self->ca_certificates = gcert_settings_get_path (settings, "ca-certificates",
                                                   FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  contacts = gcert_settings_get_string_list (settings, "contact", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (contacts != NULL)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      for (guint i = 0; contacts[i] != NULL; i++)
        {
          g_autofree char *normalized = NULL;

          if (!validate_contact (contacts[i], &normalized, &local_error))
            {
              gcert_settings_set_error (settings, error, "contact", "%s",
                                        local_error->message);
              return FALSE;
            }
          g_strv_builder_add (builder, normalized);
        }
      self->contacts = g_strv_builder_end (builder);
    }

  self->state_dir = gcert_settings_get_path (settings, "state-dir", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!parse_key_type (settings, "key-type", GCERT_KEY_TYPE_DEFAULT,
                       &self->key_type, error))
    return FALSE;
  if (!gcert_settings_get_duration (settings, "renew-before", 0,
                                    &self->renew_before, error))
    return FALSE;
  if (!gcert_settings_get_duration (settings, "renew-every", 0,
                                    &self->renew_every, error))
    return FALSE;

  resolvers = gcert_settings_get_string_list (settings, "resolvers", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (resolvers != NULL)
    {
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      for (guint i = 0; resolvers[i] != NULL; i++)
        {
          g_autofree char *normalized = normalize_resolver (resolvers[i]);

          if (normalized == NULL)
            {
              gcert_settings_set_error (settings, error, "resolvers",
                                        _("invalid resolver “%s” (expected HOST, "
                                          "HOST:PORT or [IPV6]:PORT)"),
                                        resolvers[i]);
              return FALSE;
            }
          g_strv_builder_add (builder, normalized);
        }
      self->resolvers = g_strv_builder_end (builder);
    }

  if (!parse_positive_duration (settings, "propagation-timeout", 120,
                                &self->propagation_timeout, error))
    return FALSE;
  if (!parse_positive_duration (settings, "max-retry-after", 600,
                                &self->max_retry_after, error))
    return FALSE;
  return parse_batch_keys (self, settings, error);
}

static gboolean
parse_plugin_key (GCertSettings  *settings,
                  GError        **error)
{
  g_autofree char *plugin = NULL;
  g_autoptr(GError) local_error = NULL;

  /* the plugin validates its other keys when it is set up */
  plugin = gcert_settings_get_string (settings, "plugin", TRUE, error);
  if (plugin == NULL)
    return FALSE;
  if (!gcert_name_validate (plugin, &local_error))
    {
      gcert_settings_set_error (settings, error, "plugin", "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

/* A zone or alias name: a domain without a wildcard; lowercase, no
 * trailing dot. */
static char *
parse_zone_name (GCertSettings  *settings,
                 const char     *key,
                 const char     *text,
                 GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *trimmed = g_strdup (text);
  g_autofree char *normalized = NULL;
  gsize len = strlen (trimmed);

  if (len > 1 && trimmed[len - 1] == '.')
    trimmed[len - 1] = '\0';
  if (strchr (trimmed, '*') != NULL)
    {
      gcert_settings_set_error (settings, error, key,
                                _("“%s”: a wildcard is not allowed here"), text);
      return NULL;
    }
  if (!gcert_domain_validate (trimmed, &normalized, &local_error))
    {
      gcert_settings_set_error (settings, error, key, "%s", local_error->message);
      return NULL;
    }
  return g_steal_pointer (&normalized);
}

/* challenge-alias: the name whose _acme-challenge label receives the TXT
 * records, e.g. alias.example.net for _acme-challenge.alias.example.net */
static gboolean
parse_challenge_alias (GCertSettings  *settings,
                       char          **out_alias,
                       GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *text = NULL;

  *out_alias = NULL;
  text = gcert_settings_get_string (settings, "challenge-alias", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (text == NULL)
    return TRUE;
  if (g_str_has_prefix (text, "_acme-challenge."))
    {
      gcert_settings_set_error (settings, error, "challenge-alias",
                                _("give the name without “_acme-challenge.” (gcert adds it): "
                                  "“%s”"), text + strlen ("_acme-challenge."));
      return FALSE;
    }
  *out_alias = parse_zone_name (settings, "challenge-alias", text, error);
  return *out_alias != NULL;
}

static gboolean
parse_dns_group (GCertConfig    *self,
                 GCertSettings  *settings,
                 GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) zones = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autofree char *alias = NULL;
  const char *name = gcert_settings_get_name (settings);

  if (!parse_plugin_key (settings, error))
    return FALSE;

  zones = gcert_settings_get_string_list (settings, "zones", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  for (guint i = 0; zones != NULL && zones[i] != NULL; i++)
    {
      g_autofree char *zone = parse_zone_name (settings, "zones", zones[i], error);
      GHashTableIter iter;
      gpointer key, value;

      if (zone == NULL)
        return FALSE;
      /* one zone, one provider: otherwise which one writes is a guess */
      g_hash_table_iter_init (&iter, self->dns_zones);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          if (g_strv_contains ((const char * const *) value, zone))
            {
              gcert_settings_set_error (settings, error, "zones",
                                        _("zone %s is listed in [dns %s] too"),
                                        zone, (const char *) key);
              return FALSE;
            }
        }
      g_strv_builder_add (builder, zone);
    }
  g_hash_table_insert (self->dns_zones, g_strdup (name), g_strv_builder_end (builder));

  if (!parse_challenge_alias (settings, &alias, error))
    return FALSE;
  if (alias != NULL)
    g_hash_table_insert (self->dns_aliases, g_strdup (name), g_steal_pointer (&alias));
  return TRUE;
}

/* domains validated, lowercase, duplicates refused; errors without place */
static GStrv
validate_domains (const char * const  *domains,
                  GError             **error)
{
  g_autoptr(GPtrArray) result = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; domains[i] != NULL; i++)
    {
      g_autofree char *normalized = NULL;

      if (!gcert_domain_validate (domains[i], &normalized, error))
        return NULL;
      for (guint j = 0; j < result->len; j++)
        {
          if (g_strcmp0 (g_ptr_array_index (result, j), normalized) == 0)
            {
              g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                           _("duplicate domain “%s”"), normalized);
              return NULL;
            }
        }
      g_ptr_array_add (result, g_steal_pointer (&normalized));
    }
  if (result->len == 0)
    {
      g_set_error_literal (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                           _("no domains given"));
      return NULL;
    }
  if (result->len > GCERT_CONFIG_MAX_DOMAINS)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("too many domains (%u, at most %u)"),
                   result->len, GCERT_CONFIG_MAX_DOMAINS);
      return NULL;
    }
  g_ptr_array_add (result, NULL);
  return (GStrv) g_ptr_array_steal (result, NULL);
}

static gboolean
has_dns (GCertConfig *self,
         const char  *name)
{
  for (guint i = 0; i < self->dns_names->len; i++)
    {
      if (g_strcmp0 (g_ptr_array_index (self->dns_names, i), name) == 0)
        return TRUE;
    }
  return FALSE;
}

/* readers: local accounts that may read the live private key (NULL when
 * none); accounts must exist when the configuration is loaded */
static gboolean
parse_readers (GCertSettings  *settings,
               GStrv          *out_readers,
               GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) entries = NULL;

  *out_readers = NULL;
  entries = gcert_settings_get_string_list (settings, "readers", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (entries == NULL)
    return TRUE;
  *out_readers = gcert_readers_parse ((const char * const *) entries, &local_error);
  if (*out_readers == NULL)
    {
      gcert_settings_set_error (settings, error, "readers", "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

static GCertCertificateConfig *
parse_certificate_group (GCertConfig    *self,
                         GCertSettings  *settings,
                         GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) domains = NULL;
  g_autofree char *dns = NULL;
  g_autofree char *alias = NULL;
  g_auto(GStrv) deploy = NULL;
  gboolean per_target = FALSE;
  gboolean target_name = FALSE;
  GCertCertificateConfig *cert;
  GCertKeyType key_type;
  gint64 renew_before;
  gint64 renew_every;
  g_auto(GStrv) validated = NULL;
  g_auto(GStrv) readers = NULL;

  if (!gcert_settings_check_keys (settings, certificate_group_keys, error))
    return NULL;

  domains = gcert_settings_get_string_list (settings, "domains", TRUE, error);
  if (domains == NULL)
    return NULL;
  validated = validate_domains ((const char * const *) domains, &local_error);
  if (validated == NULL)
    {
      gcert_settings_set_error (settings, error, "domains", "%s", local_error->message);
      return NULL;
    }

  dns = gcert_settings_get_string (settings, "dns", TRUE, error);
  if (dns == NULL)
    return NULL;
  if (!has_dns (self, dns))
    {
      gcert_settings_set_error (settings, error, "dns",
                                _("there is no [dns %s] group"), dns);
      return NULL;
    }

  if (!parse_key_type (settings, "key-type", self->key_type, &key_type, error))
    return NULL;
  if (!gcert_settings_get_duration (settings, "renew-before", self->renew_before,
                                    &renew_before, error))
    return NULL;
  if (!gcert_settings_get_duration (settings, "renew-every", self->renew_every,
                                    &renew_every, error))
    return NULL;

  if (!parse_challenge_alias (settings, &alias, error))
    return NULL;
  if (alias == NULL)
    alias = g_strdup (g_hash_table_lookup (self->dns_aliases, dns));

  deploy = gcert_settings_get_string_list (settings, "deploy", FALSE, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  for (guint i = 0; deploy != NULL && deploy[i] != NULL; i++)
    {
      if (!g_ptr_array_find_with_equal_func (self->deploy_names, deploy[i], g_str_equal, NULL))
        {
          gcert_settings_set_error (settings, error, "deploy",
                                    _("there is no [deploy %s] group"), deploy[i]);
          return NULL;
        }
      for (guint j = 0; j < i; j++)
        {
          if (g_strcmp0 (deploy[i], deploy[j]) == 0)
            {
              gcert_settings_set_error (settings, error, "deploy",
                                        _("%s is listed twice"), deploy[i]);
              return NULL;
            }
        }
    }
  if (!gcert_settings_get_boolean (settings, "per-target", FALSE, &per_target, error) ||
      !gcert_settings_get_boolean (settings, "target-name", FALSE, &target_name, error))
    return NULL;
  if (per_target && (deploy == NULL || deploy[0] == NULL))
    {
      gcert_settings_set_error (settings, error, "per-target",
                                _("per-target needs the targets in a deploy key"));
      return NULL;
    }
  if (target_name && !per_target)
    {
      gcert_settings_set_error (settings, error, "target-name",
                                _("target-name needs per-target = true"));
      return NULL;
    }
  if (!parse_readers (settings, &readers, error))
    return NULL;

  cert = g_new0 (GCertCertificateConfig, 1);
  cert->name = g_strdup (gcert_settings_get_name (settings));
  cert->domains = g_steal_pointer (&validated);
  cert->challenge_alias = g_steal_pointer (&alias);
  cert->group = g_strdup (cert->name);
  cert->deploy = deploy != NULL ? g_steal_pointer (&deploy) : g_new0 (char *, 1);
  cert->per_target = per_target;
  cert->target_name = target_name;
  cert->dns = g_steal_pointer (&dns);
  cert->key_type = key_type;
  cert->renew_before = renew_before;
  cert->renew_every = renew_every;
  cert->readers = g_steal_pointer (&readers);
  return cert;
}

/* per-target = true: one certificate NAME@TARGET per deploy target, each
 * with its own key and schedule */
static gboolean
expand_per_target (GCertConfig             *self,
                   GCertSettings           *settings,
                   GCertCertificateConfig  *cert,
                   GError                 **error)
{
  for (guint i = 0; cert->deploy[i] != NULL; i++)
    {
      const char *target = cert->deploy[i];
      g_autofree char *name = g_strconcat (cert->name, "@", target, NULL);
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GStrvBuilder) domains = g_strv_builder_new ();
      GCertCertificateConfig *copy;

      if (!gcert_name_validate (name, &local_error))
        {
          gcert_settings_set_error (settings, error, "deploy", "%s: %s", name,
                                    local_error->message);
          return FALSE;
        }
      g_strv_builder_addv (domains, (const char **) cert->domains);
      if (cert->target_name)
        {
          g_autoptr(GCertSettings) target_settings = NULL;
          g_autofree char *host = NULL;
          g_autofree char *normalized = NULL;

          target_settings = gcert_config_get_deploy_settings (self, target);
          host = gcert_settings_get_string (target_settings, "host", FALSE, NULL);
          if (host == NULL || !gcert_domain_validate (host, &normalized, &local_error))
            {
              gcert_settings_set_error (settings, error, "target-name",
                                        _("[deploy %s] has no host name to add%s%s"),
                                        target, local_error != NULL ? ": " : "",
                                        local_error != NULL ? local_error->message : "");
              return FALSE;
            }
          if (!g_strv_contains ((const char * const *) cert->domains, normalized))
            g_strv_builder_add (domains, normalized);
        }

      copy = g_new0 (GCertCertificateConfig, 1);
      copy->name = g_steal_pointer (&name);
      copy->group = g_strdup (cert->group);
      copy->target = g_strdup (target);
      copy->domains = g_strv_builder_end (domains);
      copy->dns = g_strdup (cert->dns);
      copy->key_type = cert->key_type;
      copy->renew_before = cert->renew_before;
      copy->renew_every = cert->renew_every;
      copy->challenge_alias = g_strdup (cert->challenge_alias);
      copy->deploy = g_new0 (char *, 2);
      copy->deploy[0] = g_strdup (target);
      copy->per_target = TRUE;
      copy->target_name = cert->target_name;
      copy->readers = g_strdupv (cert->readers);
      g_ptr_array_add (self->certificates, copy);
    }
  return TRUE;
}

typedef enum {
  GROUP_KIND_GCERT,
  GROUP_KIND_DNS,
  GROUP_KIND_DEPLOY,
  GROUP_KIND_CERTIFICATE,
} GroupKind;

static gboolean
classify_group (GCertConfig    *self,
                const char     *group,
                GroupKind      *out_kind,
                GError        **error)
{
  g_autoptr(GCertSettings) settings = settings_for_group (self, group);
  g_autoptr(GError) local_error = NULL;
  const char *name;

  if (g_strcmp0 (group, "gcert") == 0)
    {
      *out_kind = GROUP_KIND_GCERT;
      return TRUE;
    }
  if (g_str_has_prefix (group, "dns "))
    *out_kind = GROUP_KIND_DNS;
  else if (g_str_has_prefix (group, "deploy "))
    *out_kind = GROUP_KIND_DEPLOY;
  else if (g_str_has_prefix (group, "certificate "))
    *out_kind = GROUP_KIND_CERTIFICATE;
  else if (g_strcmp0 (group, "dns") == 0 || g_strcmp0 (group, "certificate") == 0 ||
           g_strcmp0 (group, "deploy") == 0)
    {
      gcert_settings_set_error (settings, error, NULL,
                                _("a name is missing: write [%s NAME]"), group);
      return FALSE;
    }
  else
    {
      gcert_settings_set_error (settings, error, NULL,
                                _("unknown group (expected [gcert], [dns NAME], "
                                  "[deploy NAME] or [certificate NAME])"));
      return FALSE;
    }

  name = gcert_settings_get_name (settings);
  if (!gcert_name_validate (name, &local_error))
    {
      gcert_settings_set_error (settings, error, NULL, "%s", local_error->message);
      return FALSE;
    }
  return TRUE;
}

static gboolean
parse_all (GCertConfig  *self,
           GError      **error)
{
  g_autoptr(GPtrArray) certificate_groups = g_ptr_array_new ();

  if (g_hash_table_contains (self->groups, "gcert"))
    {
      g_autoptr(GCertSettings) settings = settings_for_group (self, "gcert");

      if (!parse_gcert_group (self, settings, error))
        return FALSE;
    }
  if (self->directory_url == NULL)
    {
      self->directory_url = g_strdup (ca_presets[0].url);
      self->ca_id = g_strdup (ca_presets[0].name);
    }
  if (self->state_dir == NULL)
    self->state_dir = default_state_dir ();

  for (guint i = 0; i < self->group_order->len; i++)
    {
      const char *group = g_ptr_array_index (self->group_order, i);
      GroupKind kind;

      if (!classify_group (self, group, &kind, error))
        return FALSE;
      if (kind == GROUP_KIND_DNS)
        {
          g_autoptr(GCertSettings) settings = settings_for_group (self, group);

          if (!parse_dns_group (self, settings, error))
            return FALSE;
          g_ptr_array_add (self->dns_names, g_strdup (gcert_settings_get_name (settings)));
        }
      else if (kind == GROUP_KIND_DEPLOY)
        {
          g_autoptr(GCertSettings) settings = settings_for_group (self, group);

          if (!parse_plugin_key (settings, error))
            return FALSE;
          g_ptr_array_add (self->deploy_names,
                           g_strdup (gcert_settings_get_name (settings)));
        }
      else if (kind == GROUP_KIND_CERTIFICATE)
        {
          g_ptr_array_add (certificate_groups, (gpointer) group);
        }
    }

  for (guint i = 0; i < certificate_groups->len; i++)
    {
      g_autoptr(GCertSettings) settings =
        settings_for_group (self, g_ptr_array_index (certificate_groups, i));
      GCertCertificateConfig *cert = parse_certificate_group (self, settings, error);

      if (cert == NULL)
        return FALSE;
      if (!cert->per_target)
        {
          g_ptr_array_add (self->certificates, cert);
          continue;
        }
      if (!expand_per_target (self, settings, cert, error))
        {
          certificate_config_free (cert);
          return FALSE;
        }
      certificate_config_free (cert);
    }
  return TRUE;
}

static void
set_path (GCertConfig *self,
          const char  *filename)
{
  g_autofree char *dirname = g_path_get_dirname (filename);

  self->path = g_strdup (filename);
  self->base_dir = g_canonicalize_filename (dirname, NULL);
}

static gint
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static gboolean
list_conf_d (const char  *dir,
             GPtrArray   *out_files,
             GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, &local_error);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (gdir == NULL)
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return TRUE;
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("cannot read configuration directory %s: %s"),
                   dir, local_error->message);
      return FALSE;
    }
  while ((name = g_dir_read_name (gdir)) != NULL)
    {
      if (name[0] == '.' || !g_str_has_suffix (name, ".conf"))
        continue;
      g_ptr_array_add (names, g_strdup (name));
    }
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    g_ptr_array_add (out_files, g_build_filename (dir, g_ptr_array_index (names, i), NULL));
  return TRUE;
}

GCertConfig *
gcert_config_load (const char  *path,
                   GError     **error)
{
  g_autoptr(GCertConfig) self = NULL;
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *dirname = NULL;
  g_autofree char *conf_d = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (GCERT_TYPE_CONFIG, NULL);
  set_path (self, path);

  if (!merge_file (self, path, error))
    return NULL;

  dirname = g_path_get_dirname (path);
  conf_d = g_build_filename (dirname, "conf.d", NULL);
  if (!list_conf_d (conf_d, files, error))
    return NULL;
  for (guint i = 0; i < files->len; i++)
    {
      if (!merge_file (self, g_ptr_array_index (files, i), error))
        return NULL;
    }

  if (!parse_all (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

GCertConfig *
gcert_config_load_from_data (const char  *data,
                             const char  *filename,
                             GError     **error)
{
  g_autoptr(GCertConfig) self = NULL;

  g_return_val_if_fail (data != NULL, NULL);
  g_return_val_if_fail (filename != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (GCERT_TYPE_CONFIG, NULL);
  set_path (self, filename);
  if (!merge_text (self, filename, data, strlen (data), error))
    return NULL;
  if (!parse_all (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

const char *
gcert_config_get_path (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return self->path;
}

const char *
gcert_config_get_directory_url (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return self->directory_url;
}

const char *
gcert_config_get_ca_id (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return self->ca_id;
}

const char *
gcert_config_get_ca_certificates (GCertConfig *self)
{
  const char *env;

  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);

  env = g_getenv ("GCERT_CA_CERTIFICATES");
  if (env != NULL && *env != '\0')
    return env;
  return self->ca_certificates;
}

const char * const *
gcert_config_get_contacts (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return (const char * const *) self->contacts;
}

const char *
gcert_config_get_state_dir (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return self->state_dir;
}

GCertKeyType
gcert_config_get_key_type (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), GCERT_KEY_TYPE_DEFAULT);
  return self->key_type;
}

gint64
gcert_config_get_renew_before (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), 0);
  return self->renew_before;
}

gint64
gcert_config_get_renew_every (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), 0);
  return self->renew_every;
}

const char * const *
gcert_config_get_resolvers (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return (const char * const *) self->resolvers;
}

guint
gcert_config_get_propagation_timeout (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), 120);
  return self->propagation_timeout;
}

guint
gcert_config_get_max_retry_after (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), 600);
  return self->max_retry_after;
}

GPtrArray *
gcert_config_get_certificates (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return self->certificates;
}

GCertCertificateConfig *
gcert_config_lookup_certificate (GCertConfig *self,
                                 const char  *name)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < self->certificates->len; i++)
    {
      GCertCertificateConfig *cert = g_ptr_array_index (self->certificates, i);

      if (g_strcmp0 (cert->name, name) == 0)
        return cert;
    }
  return NULL;
}

GStrv
gcert_config_list_dns (GCertConfig *self)
{
  g_autoptr(GStrvBuilder) builder = NULL;

  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);

  builder = g_strv_builder_new ();
  for (guint i = 0; i < self->dns_names->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (self->dns_names, i));
  return g_strv_builder_end (builder);
}

GCertSettings *
gcert_config_get_dns_settings (GCertConfig *self,
                               const char  *name)
{
  g_autofree char *group = NULL;

  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (!has_dns (self, name))
    return NULL;
  group = g_strconcat ("dns ", name, NULL);
  return settings_for_group (self, group);
}

GCertCertificateConfig *
gcert_config_add_certificate (GCertConfig         *self,
                              const char          *name,
                              const char * const  *domains,
                              const char          *dns,
                              int                  key_type,
                              GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  g_auto(GStrv) validated = NULL;
  GCertCertificateConfig *cert;

  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (domains != NULL, NULL);
  g_return_val_if_fail (dns != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!gcert_name_validate (name, &local_error))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("certificate name: %s"), local_error->message);
      return NULL;
    }
  if (gcert_config_lookup_certificate (self, name) != NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("certificate “%s” already exists in the configuration"), name);
      return NULL;
    }
  validated = validate_domains (domains, &local_error);
  if (validated == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("certificate “%s”: %s"), name, local_error->message);
      return NULL;
    }
  if (!has_dns (self, dns))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("certificate “%s”: there is no [dns %s] group in %s"),
                   name, dns, self->path);
      return NULL;
    }
  if (key_type > GCERT_KEY_TYPE_RSA_4096)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG,
                   _("certificate “%s”: unknown key type"), name);
      return NULL;
    }

  cert = g_new0 (GCertCertificateConfig, 1);
  cert->name = g_strdup (name);
  cert->domains = g_steal_pointer (&validated);
  cert->dns = g_strdup (dns);
  cert->challenge_alias = g_strdup (g_hash_table_lookup (self->dns_aliases, dns));
  cert->group = g_strdup (name);
  cert->deploy = g_new0 (char *, 1);
  cert->key_type = key_type < 0 ? self->key_type : (GCertKeyType) key_type;
  cert->renew_before = self->renew_before;
  cert->renew_every = self->renew_every;
  g_ptr_array_add (self->certificates, cert);
  return cert;
}

static GStrv
strv_from_array (GPtrArray *names)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; i < names->len; i++)
    g_strv_builder_add (builder, g_ptr_array_index (names, i));
  return g_strv_builder_end (builder);
}

GStrv
gcert_config_list_deploy (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);

  return strv_from_array (self->deploy_names);
}

GCertSettings *
gcert_config_get_deploy_settings (GCertConfig *self,
                                  const char  *name)
{
  g_autofree char *group = NULL;

  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  g_return_val_if_fail (name != NULL, NULL);

  if (!g_ptr_array_find_with_equal_func (self->deploy_names, name, g_str_equal, NULL))
    return NULL;
  group = g_strconcat ("deploy ", name, NULL);
  return settings_for_group (self, group);
}

const char * const *
gcert_config_get_dns_zones (GCertConfig *self,
                            const char  *dns)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  g_return_val_if_fail (dns != NULL, NULL);

  return g_hash_table_lookup (self->dns_zones, dns);
}

const char *
gcert_config_find_dns_for_name (GCertConfig *self,
                                const char  *fqdn)
{
  g_autofree char *name = NULL;
  const char *best = NULL;
  gsize best_len = 0;
  gsize len;
  GHashTableIter iter;
  gpointer key, value;

  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  g_return_val_if_fail (fqdn != NULL, NULL);

  name = g_ascii_strdown (fqdn, -1);
  len = strlen (name);
  if (len > 1 && name[len - 1] == '.')
    name[--len] = '\0';

  g_hash_table_iter_init (&iter, self->dns_zones);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char * const *zones = value;

      for (guint i = 0; zones[i] != NULL; i++)
        {
          gsize zlen = strlen (zones[i]);

          if (zlen <= best_len || zlen > len)
            continue;
          if (strcmp (name + len - zlen, zones[i]) == 0 &&
              (zlen == len || name[len - zlen - 1] == '.'))
            {
              best = key;
              best_len = zlen;
            }
        }
    }
  return best;
}

guint
gcert_config_get_jobs (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), 1);
  return self->jobs;
}

const char *
gcert_config_get_notify (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return self->notify;
}

const char *
gcert_config_get_notify_mail (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return self->notify_mail;
}

gboolean
gcert_config_get_notify_on_success (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), FALSE);
  return self->notify_on_success;
}

gint64
gcert_config_get_warn_before (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), 0);
  return self->warn_before;
}

const GCertCaLimits *
gcert_config_get_limits (GCertConfig *self)
{
  g_return_val_if_fail (GCERT_IS_CONFIG (self), NULL);
  return &self->limits;
}
