/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gcert-test-util.h"

#define CONF "/srv/gcert/gcert.conf"

#define GOOD_DNS "[dns cf]\nplugin = cloudflare\ntoken-file = cf.token\n"

typedef struct {
  const char *name;
  const char *text;
  const char *where;    /* the message starts with this */
  const char *detail;   /* and contains this */
} BadCase;

static const BadCase bad_cases[] = {
  { "unknown-group",
    "[gcert]\nca = letsencrypt\n\n[deplyo web]\nhost = x\n",
    CONF ":4: [deplyo web]", "unknown group" },
  { "deploy-without-plugin",
    "[gcert]\nca = letsencrypt\n\n[deploy web]\nhost = x\n",
    CONF ":4: [deploy web] plugin", "missing" },
  { "zones-wildcard",
    "[dns cf]\nplugin = exec\nzones = *.example.com\n",
    CONF ":3: [dns cf] zones", "wildcard" },
  { "zones-twice",
    "[dns a]\nplugin = exec\nzones = example.com\n[dns b]\nplugin = exec\nzones = Example.com.\n",
    CONF ":6: [dns b] zones", "[dns a] too" },
  { "alias-with-label",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\n"
    "challenge-alias = _acme-challenge.alias.example.net\n",
    CONF, "without “_acme-challenge.”" },
  { "alias-bad-name",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\nchallenge-alias = a..b\n",
    CONF, "challenge-alias" },
  { "unknown-gcert-key",
    "[gcert]\nca = letsencrypt\ncolour = blue\n",
    CONF ":3: [gcert] colour", "unknown key" },
  { "unknown-certificate-key",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\nflavour = x\n",
    CONF ":7: [certificate web] flavour", "unknown key" },
  { "localized-key",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\ndomains[de] = x.de\n",
    CONF ":7: [certificate web] domains[de]", "localized keys" },
  { "unknown-ca",
    "[gcert]\n# a comment\nca = nowhere\n",
    CONF ":3: [gcert] ca", "unknown CA" },
  { "http-ca",
    "[gcert]\nca = http://acme.example.com/directory\n",
    CONF ":2: [gcert] ca", "https://" },
  { "ftp-ca",
    "[gcert]\nca = ftp://127.0.0.1/directory\n",
    CONF ":2: [gcert] ca", "https://" },
  { "ca-with-password",
    "[gcert]\nca = https://user:pw@acme.example.com/dir\n",
    CONF ":2: [gcert] ca", "user name" },
  { "contact-without-mailto",
    "[gcert]\ncontact = admin@example.com\n",
    CONF ":2: [gcert] contact", "mailto:admin@example.com" },
  { "contact-other-scheme",
    "[gcert]\ncontact = tel:+15555555\n",
    CONF ":2: [gcert] contact", "mailto:" },
  { "contact-bad-domain",
    "[gcert]\ncontact = mailto:admin@localhost\n",
    CONF ":2: [gcert] contact", "mailto:admin@localhost" },
  { "contact-two-addresses",
    "[gcert]\ncontact = mailto:a@example.com,b@example.com\n",
    CONF ":2: [gcert] contact", "invalid contact" },
  { "contact-second-bad",
    "[gcert]\ncontact = mailto:a@example.com; mailto:b@@example.com\n",
    CONF ":2: [gcert] contact", "mailto:b@@example.com" },
  { "bad-key-type",
    "[gcert]\nkey-type = dsa-1024\n",
    CONF ":2: [gcert] key-type", "dsa-1024" },
  { "bad-renew-before",
    "[gcert]\nrenew-before = 30x\n",
    CONF ":2: [gcert] renew-before", "30x" },
  { "bad-renew-every",
    "[gcert]\nrenew-every = soon\n",
    CONF ":2: [gcert] renew-every", "soon" },
  { "bad-resolver-port",
    "[gcert]\nresolvers = 192.0.2.1:53; 192.0.2.2:99999\n",
    CONF ":2: [gcert] resolvers", "192.0.2.2:99999" },
  { "bad-resolver-v6",
    "[gcert]\nresolvers = [::1\n",
    CONF ":2: [gcert] resolvers", "[::1" },
  { "bad-resolver-host",
    "[gcert]\nresolvers = ns_1.example.com\n",
    CONF ":2: [gcert] resolvers", "ns_1.example.com" },
  { "zero-propagation-timeout",
    "[gcert]\npropagation-timeout = 0\n",
    CONF ":2: [gcert] propagation-timeout", "1s" },
  { "bad-max-retry-after",
    "[gcert]\n\nmax-retry-after = 10 minutes\n",
    CONF ":3: [gcert] max-retry-after", "10 minutes" },
  { "dns-without-plugin",
    "[gcert]\n\n[dns cf]\ntoken-file = x\n",
    CONF ":3: [dns cf] plugin", "missing" },
  { "dns-empty-plugin",
    "[dns cf]\nplugin =\n",
    CONF ":2: [dns cf] plugin", "empty" },
  { "dns-without-name",
    "[dns]\nplugin = exec\n",
    CONF ":1: [dns]", "NAME" },
  { "dns-bad-name",
    "[dns c/f]\nplugin = exec\n",
    CONF ":1: [dns c/f]", "invalid name" },
  { "certificate-without-domains",
    GOOD_DNS "\n[certificate web]\ndns = cf\n",
    CONF ":5: [certificate web] domains", "missing" },
  { "certificate-empty-domains",
    GOOD_DNS "[certificate web]\ndomains = ; ;\ndns = cf\n",
    CONF ":5: [certificate web] domains", "empty" },
  { "certificate-without-dns",
    GOOD_DNS "[certificate web]\ndomains = example.com\n",
    CONF ":4: [certificate web] dns", "missing" },
  { "certificate-unknown-dns",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = route53\n",
    CONF ":6: [certificate web] dns", "[dns route53]" },
  { "certificate-bad-name",
    GOOD_DNS "[certificate ../web]\ndomains = example.com\ndns = cf\n",
    CONF ":4: [certificate ../web]", "invalid name" },
  { "certificate-without-name",
    GOOD_DNS "[certificate]\ndomains = example.com\ndns = cf\n",
    CONF ":4: [certificate]", "NAME" },
  { "wildcard-in-middle",
    GOOD_DNS "[certificate web]\ndomains = example.com;www.*.example.com\ndns = cf\n",
    CONF ":5: [certificate web] domains", "wildcard" },
  { "wildcard-partial-label",
    GOOD_DNS "[certificate web]\ndomains = *www.example.com\ndns = cf\n",
    CONF ":5: [certificate web] domains", "wildcard" },
  { "wildcard-on-tld",
    GOOD_DNS "[certificate web]\ndomains = *.com\ndns = cf\n",
    CONF ":5: [certificate web] domains", "wildcard" },
  { "duplicate-domain",
    GOOD_DNS "[certificate web]\ndomains = www.example.com;WWW.Example.com\ndns = cf\n",
    CONF ":5: [certificate web] domains", "duplicate domain “www.example.com”" },
  { "bad-domain-character",
    GOOD_DNS "[certificate web]\ndomains = exa_mple.com\ndns = cf\n",
    CONF ":5: [certificate web] domains", "exa_mple.com" },
  { "ip-address-domain",
    GOOD_DNS "[certificate web]\ndomains = 192.0.2.1\ndns = cf\n",
    CONF ":5: [certificate web] domains", "192.0.2.1" },
  { "single-label-domain",
    GOOD_DNS "[certificate web]\ndomains = intranet\ndns = cf\n",
    CONF ":5: [certificate web] domains", "intranet" },
  { "certificate-bad-key-type",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\nkey-type = ec-521\n",
    CONF ":7: [certificate web] key-type", "ec-521" },
  { "certificate-bad-renew-before",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\nrenew-before = -3d\n",
    CONF ":7: [certificate web] renew-before", "-3d" },
  { "certificate-bad-renew-every",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\nrenew-every = 1y\n",
    CONF ":7: [certificate web] renew-every", "1y" },
  { "readers-unknown-user",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\n"
    "readers = nobody; gcert-no-such-user\n",
    CONF ":7: [certificate web] readers", "unknown user “gcert-no-such-user”" },
  { "readers-unknown-group",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\n"
    "readers = @gcert-no-such-group\n",
    CONF ":7: [certificate web] readers", "unknown group “gcert-no-such-group”" },
  { "readers-group-without-name",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\nreaders = @\n",
    CONF ":7: [certificate web] readers", "“@” must be followed by a group name" },
  { "readers-not-a-name",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\nreaders = user:nobody\n",
    CONF ":7: [certificate web] readers", "“user:nobody” is not an account name" },
  { "readers-twice",
    GOOD_DNS "[certificate web]\ndomains = example.com\ndns = cf\n"
    "readers = nobody; @nogroup; nobody\n",
    CONF ":7: [certificate web] readers", "“nobody” is listed twice" },
  { "readers-per-target-unknown",
    GOOD_DNS "[deploy web1]\nplugin = ssh\n"
    "[certificate web]\ndomains = example.com\ndns = cf\ndeploy = web1\n"
    "per-target = true\nreaders = gcert-no-such-user\n",
    CONF ":11: [certificate web] readers", "gcert-no-such-user" },
  { "syntax-garbage-line",
    "[gcert]\nca = letsencrypt\nthis is not a key\n",
    CONF ":3:", "this is not a key" },
  { "syntax-key-before-group",
    "# header\nca = letsencrypt\n[gcert]\n",
    CONF ":2:", "before any [group]" },
  { "syntax-bad-group-header",
    "[gcert\nca = letsencrypt\n",
    CONF ":1:", "group header" },
  { "syntax-missing-key-name",
    "[gcert]\n = letsencrypt\n",
    CONF ":2:", "key name" },
};

static void
assert_bad_config (const BadCase *bad)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;

  config = gcert_config_load_from_data (bad->text, CONF, &error);
  g_assert_null (config);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  if (!g_str_has_prefix (error->message, bad->where) ||
      strstr (error->message, bad->detail) == NULL)
    g_error ("%s: unexpected message “%s” (wanted “%s” … “%s”)",
             bad->name, error->message, bad->where, bad->detail);
}

static void
test_bad_case (gconstpointer data)
{
  assert_bad_config (data);
}

static void
test_good_full (void)
{
  const char *text =
    "# gcert configuration\n"
    "[gcert]\n"
    "ca = https://acme.example.net:14000/dir\n"
    "ca-certificates = pebble.minica.pem\n"
    "contact = mailto:Admin@Example.COM; mailto:ops@example.org\n"
    "state-dir = state\n"
    "key-type = ec-384\n"
    "renew-before = 20d\n"
    "renew-every = 1d12h\n"
    "resolvers = 192.0.2.53; [2001:db8::53]:5353; ns1.example.com:1053; 2001:db8::1; localhost\n"
    "propagation-timeout = 5m\n"
    "max-retry-after = 1h\n"
    "\n"
    "[dns cf]\n"
    "plugin = cloudflare\n"
    "token-file = secrets/cf.token\n"
    "zone-id = abc123\n"
    "\n"
    "[dns local]\n"
    "plugin = exec\n"
    "\n"
    "[certificate web]\n"
    "domains = Example.com;*.example.com ; www.example.com.\n"
    "dns = cf\n"
    "\n"
    "[certificate mail]\n"
    "domains = mail.example.org\n"
    "dns = local\n"
    "key-type = rsa-3072\n"
    "renew-before = 10d\n"
    "renew-every = 0\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertSettings) settings = NULL;
  g_auto(GStrv) dns = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *where = NULL;
  g_autofree char *zone = NULL;
  const char * const *contacts;
  const char * const *resolvers;
  GCertCertificateConfig *cert;
  GPtrArray *certs;
  const char *ca_id;

  g_unsetenv ("GCERT_CA_CERTIFICATES");
  config = gcert_config_load_from_data (text, CONF, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);

  g_assert_cmpstr (gcert_config_get_path (config), ==, CONF);
  g_assert_cmpstr (gcert_config_get_directory_url (config), ==,
                   "https://acme.example.net:14000/dir");
  ca_id = gcert_config_get_ca_id (config);
  g_assert_true (g_str_has_prefix (ca_id, "acme.example.net_14000-"));
  g_assert_cmpuint (strlen (ca_id), ==, strlen ("acme.example.net_14000-") + 8);
  for (const char *p = ca_id + strlen ("acme.example.net_14000-"); *p != '\0'; p++)
    g_assert_true (g_ascii_isxdigit (*p));
  g_assert_cmpstr (gcert_config_get_ca_certificates (config), ==,
                   "/srv/gcert/pebble.minica.pem");
  contacts = gcert_config_get_contacts (config);
  g_assert_cmpuint (g_strv_length ((char **) contacts), ==, 2);
  g_assert_cmpstr (contacts[0], ==, "mailto:Admin@example.com");
  g_assert_cmpstr (contacts[1], ==, "mailto:ops@example.org");
  g_assert_cmpstr (gcert_config_get_state_dir (config), ==, "/srv/gcert/state");
  g_assert_cmpint (gcert_config_get_key_type (config), ==, GCERT_KEY_TYPE_EC_384);
  g_assert_cmpint (gcert_config_get_renew_before (config), ==, 20 * 86400);
  g_assert_cmpint (gcert_config_get_renew_every (config), ==, 36 * 3600);
  resolvers = gcert_config_get_resolvers (config);
  g_assert_cmpuint (g_strv_length ((char **) resolvers), ==, 5);
  g_assert_cmpstr (resolvers[0], ==, "192.0.2.53:53");
  g_assert_cmpstr (resolvers[1], ==, "[2001:db8::53]:5353");
  g_assert_cmpstr (resolvers[2], ==, "ns1.example.com:1053");
  g_assert_cmpstr (resolvers[3], ==, "[2001:db8::1]:53");
  g_assert_cmpstr (resolvers[4], ==, "localhost:53");
  g_assert_cmpuint (gcert_config_get_propagation_timeout (config), ==, 300);
  g_assert_cmpuint (gcert_config_get_max_retry_after (config), ==, 3600);

  dns = gcert_config_list_dns (config);
  g_assert_cmpuint (g_strv_length (dns), ==, 2);
  g_assert_cmpstr (dns[0], ==, "cf");
  g_assert_cmpstr (dns[1], ==, "local");

  /* the plugin's own keys are left for the plugin to check */
  settings = gcert_config_get_dns_settings (config, "cf");
  g_assert_nonnull (settings);
  g_assert_cmpstr (gcert_settings_get_group (settings), ==, "dns cf");
  g_assert_cmpstr (gcert_settings_get_name (settings), ==, "cf");
  g_assert_cmpstr (gcert_settings_get_base_dir (settings), ==, "/srv/gcert");
  g_assert_true (gcert_settings_has_key (settings, "zone-id"));
  g_assert_false (gcert_settings_has_key (settings, "account-id"));
  zone = gcert_settings_get_string (settings, "zone-id", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (zone, ==, "abc123");
  token_file = gcert_settings_get_path (settings, "token-file", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token_file, ==, "/srv/gcert/secrets/cf.token");
  where = gcert_settings_describe (settings, "token-file");
  g_assert_cmpstr (where, ==, CONF ":16: [dns cf] token-file");
  g_assert_null (gcert_config_get_dns_settings (config, "route53"));

  certs = gcert_config_get_certificates (config);
  g_assert_cmpuint (certs->len, ==, 2);
  cert = g_ptr_array_index (certs, 0);
  g_assert_cmpstr (cert->name, ==, "web");
  g_assert_cmpuint (g_strv_length (cert->domains), ==, 3);
  g_assert_cmpstr (cert->domains[0], ==, "example.com");
  g_assert_cmpstr (cert->domains[1], ==, "*.example.com");
  g_assert_cmpstr (cert->domains[2], ==, "www.example.com");
  g_assert_cmpstr (cert->dns, ==, "cf");
  /* inherited from [gcert] */
  g_assert_cmpint (cert->key_type, ==, GCERT_KEY_TYPE_EC_384);
  g_assert_cmpint (cert->renew_before, ==, 20 * 86400);
  g_assert_cmpint (cert->renew_every, ==, 36 * 3600);

  cert = gcert_config_lookup_certificate (config, "mail");
  g_assert_nonnull (cert);
  g_assert_true (cert == g_ptr_array_index (certs, 1));
  g_assert_cmpstr (cert->domains[0], ==, "mail.example.org");
  g_assert_null (cert->domains[1]);
  g_assert_cmpstr (cert->dns, ==, "local");
  g_assert_cmpint (cert->key_type, ==, GCERT_KEY_TYPE_RSA_3072);
  g_assert_cmpint (cert->renew_before, ==, 10 * 86400);
  g_assert_cmpint (cert->renew_every, ==, 0);
  g_assert_null (gcert_config_lookup_certificate (config, "nope"));
}

static void
test_defaults (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;

  g_setenv ("GCERT_STATEDIR", "/var/tmp/gcert-test-state", TRUE);
  config = gcert_config_load_from_data ("# nothing\n", CONF, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gcert_config_get_directory_url (config), ==,
                   "https://acme-v02.api.letsencrypt.org/directory");
  g_assert_cmpstr (gcert_config_get_ca_id (config), ==, "letsencrypt");
  g_assert_null (gcert_config_get_contacts (config));
  g_assert_null (gcert_config_get_resolvers (config));
  g_assert_cmpint (gcert_config_get_key_type (config), ==, GCERT_KEY_TYPE_EC_256);
  g_assert_cmpint (gcert_config_get_renew_before (config), ==, 0);
  g_assert_cmpint (gcert_config_get_renew_every (config), ==, 0);
  g_assert_cmpuint (gcert_config_get_propagation_timeout (config), ==, 120);
  g_assert_cmpuint (gcert_config_get_max_retry_after (config), ==, 600);
  g_assert_cmpuint (gcert_config_get_certificates (config)->len, ==, 0);
  g_assert_cmpstr (gcert_config_get_state_dir (config), ==, "/var/tmp/gcert-test-state");
  g_unsetenv ("GCERT_STATEDIR");
}

static void
test_presets (void)
{
  static const struct {
    const char *value;
    const char *url;
    const char *id;
  } presets[] = {
    { "letsencrypt", "https://acme-v02.api.letsencrypt.org/directory", "letsencrypt" },
    { "letsencrypt-staging", "https://acme-staging-v02.api.letsencrypt.org/directory",
      "letsencrypt-staging" },
    { "zerossl", "https://acme.zerossl.com/v2/DV90", "zerossl" },
    { "buypass", "https://api.buypass.com/acme/directory", "buypass" },
    { "google", "https://dv.acme-v02.api.pki.goog/directory", "google" },
    /* a preset's own URL is the preset */
    { "https://acme.zerossl.com/v2/DV90", "https://acme.zerossl.com/v2/DV90", "zerossl" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (presets); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GCertConfig) config = NULL;
      g_autofree char *text = g_strdup_printf ("[gcert]\nca = %s\n", presets[i].value);

      config = gcert_config_load_from_data (text, CONF, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (gcert_config_get_directory_url (config), ==, presets[i].url);
      g_assert_cmpstr (gcert_config_get_ca_id (config), ==, presets[i].id);
    }
}

static void
test_ca_urls (void)
{
  static const struct {
    const char *url;
    const char *id_prefix;
  } urls[] = {
    { "https://ca.example.com/directory", "ca.example.com-" },
    { "http://127.0.0.1:14000/dir", "127.0.0.1_14000-" },
    { "http://localhost:4001/directory", "localhost_4001-" },
    { "http://[::1]:14000/dir", "__1_14000-" },
  };
  g_autofree char *first_id = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GCertConfig) config = NULL;
      g_autofree char *text = g_strdup_printf ("[gcert]\nca = %s\n", urls[i].url);
      const char *id;

      config = gcert_config_load_from_data (text, CONF, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (gcert_config_get_directory_url (config), ==, urls[i].url);
      id = gcert_config_get_ca_id (config);
      g_assert_true (g_str_has_prefix (id, urls[i].id_prefix));
      g_assert_cmpuint (strlen (id), ==, strlen (urls[i].id_prefix) + 8);
      g_assert_true (gcert_name_validate (id, NULL));
      if (first_id == NULL)
        first_id = g_strdup (id);
    }

  /* a different path on the same host is a different CA */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GCertConfig) config = NULL;

    config = gcert_config_load_from_data ("[gcert]\nca = https://ca.example.com/other\n",
                                          CONF, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (gcert_config_get_ca_id (config), !=, first_id);
  }
}

static void
write_text (const char *path,
            const char *text)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, -1, &error);
  g_assert_no_error (error);
}

static void
test_conf_d_merge (void)
{
  g_autofree char *dir = gcert_test_mkdtemp ("gcert-config-test");
  g_autofree char *main_conf = g_build_filename (dir, "gcert.conf", NULL);
  g_autofree char *conf_d = g_build_filename (dir, "conf.d", NULL);
  g_autofree char *a = g_build_filename (conf_d, "10-a.conf", NULL);
  g_autofree char *b = g_build_filename (conf_d, "20-b.conf", NULL);
  g_autofree char *hidden = g_build_filename (conf_d, ".30-hidden.conf", NULL);
  g_autofree char *other = g_build_filename (conf_d, "40-other.txt", NULL);
  g_autofree char *state = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertSettings) settings = NULL;
  g_autofree char *plugin = NULL;
  g_autofree char *where = NULL;
  GCertCertificateConfig *cert;

  g_assert_cmpint (g_mkdir (conf_d, 0700), ==, 0);
  write_text (main_conf,
              "[gcert]\n"
              "key-type = ec-256\n"
              "renew-before = 30d\n"
              "state-dir = state\n"
              "[dns cf]\n"
              "plugin = cloudflare\n"
              "[certificate web]\n"
              "domains = example.com\n"
              "dns = cf\n");
  /* written out of order on purpose: name order decides */
  write_text (b,
              "[gcert]\n"
              "key-type = ec-384\n"
              "[dns cf]\n"
              "plugin = exec\n");
  write_text (a,
              "[gcert]\n"
              "key-type = rsa-2048\n"
              "renew-every = 7d\n"
              "[certificate web]\n"
              "domains = example.com;www.example.com\n"
              "[certificate api]\n"
              "domains = api.example.com\n"
              "dns = cf\n");
  write_text (hidden, "[gcert]\nkey-type = rsa-4096\n");
  write_text (other, "this is not a config file\n");

  config = gcert_config_load (main_conf, &error);
  g_assert_no_error (error);
  g_assert_nonnull (config);

  g_assert_cmpint (gcert_config_get_key_type (config), ==, GCERT_KEY_TYPE_EC_384);
  g_assert_cmpint (gcert_config_get_renew_before (config), ==, 30 * 86400);
  g_assert_cmpint (gcert_config_get_renew_every (config), ==, 7 * 86400);
  state = g_build_filename (dir, "state", NULL);
  g_assert_cmpstr (gcert_config_get_state_dir (config), ==, state);

  settings = gcert_config_get_dns_settings (config, "cf");
  plugin = gcert_settings_get_string (settings, "plugin", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (plugin, ==, "exec");
  where = gcert_settings_describe (settings, "plugin");
  g_assert_true (g_str_has_prefix (where, b));
  g_assert_true (g_str_has_suffix (where, ":4: [dns cf] plugin"));

  cert = gcert_config_lookup_certificate (config, "web");
  g_assert_nonnull (cert);
  g_assert_cmpuint (g_strv_length (cert->domains), ==, 2);
  g_assert_cmpstr (cert->dns, ==, "cf");
  g_assert_cmpint (cert->key_type, ==, GCERT_KEY_TYPE_EC_384);
  g_assert_nonnull (gcert_config_lookup_certificate (config, "api"));
  g_assert_cmpuint (gcert_config_get_certificates (config)->len, ==, 2);

  /* an error in a conf.d file names that file and line, and nothing loads */
  g_clear_object (&config);
  write_text (b,
              "[gcert]\n"
              "key-type = ec-384\n"
              "[certificate web]\n"
              "domains = ok.example.com;bad..example.com\n");
  config = gcert_config_load (main_conf, &error);
  g_assert_null (config);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  {
    g_autofree char *prefix = g_strdup_printf ("%s:4: [certificate web] domains: ", b);

    g_assert_true (g_str_has_prefix (error->message, prefix));
    g_assert_nonnull (strstr (error->message, "bad..example.com"));
  }
  g_clear_error (&error);

  /* a syntax error in a conf.d file, too */
  write_text (a, "[gcert]\nkey-type ec-384\n");
  config = gcert_config_load (main_conf, &error);
  g_assert_null (config);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  {
    g_autofree char *prefix = g_strdup_printf ("%s:2: ", a);

    g_assert_true (g_str_has_prefix (error->message, prefix));
  }

  gcert_test_rm_rf (dir);
}

static void
test_missing_file (void)
{
  g_autofree char *dir = gcert_test_mkdtemp ("gcert-config-test");
  g_autofree char *path = g_build_filename (dir, "absent.conf", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;

  config = gcert_config_load (path, &error);
  g_assert_null (config);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, path));
  gcert_test_rm_rf (dir);
}

static void
test_not_utf8 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;

  config = gcert_config_load_from_data ("[gcert]\n\nca = \xff\xfe\n", CONF, &error);
  g_assert_null (config);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, CONF ":3:"));
}

static void
test_state_dir_resolution (void)
{
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *expected = NULL;

  /* the key beats the environment */
  g_setenv ("GCERT_STATEDIR", "/env/state", TRUE);
  config = gcert_config_load_from_data ("[gcert]\nstate-dir = /key/state\n", CONF, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gcert_config_get_state_dir (config), ==, "/key/state");
  g_clear_object (&config);

  config = gcert_config_load_from_data ("", CONF, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gcert_config_get_state_dir (config), ==, "/env/state");
  g_clear_object (&config);

  g_unsetenv ("GCERT_STATEDIR");
  g_setenv ("STATE_DIRECTORY", "/var/lib/gcert-unit:/var/lib/other", TRUE);
  config = gcert_config_load_from_data ("", CONF, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gcert_config_get_state_dir (config), ==, "/var/lib/gcert-unit");
  g_clear_object (&config);

  g_unsetenv ("STATE_DIRECTORY");
  config = gcert_config_load_from_data ("", CONF, &error);
  g_assert_no_error (error);
  if (geteuid () == 0)
    expected = g_strdup (GCERT_LOCALSTATEDIR);
  else
    expected = g_build_filename (g_get_user_state_dir (), "gcert", NULL);
  g_assert_cmpstr (gcert_config_get_state_dir (config), ==, expected);
}

static void
test_default_path (void)
{
  g_autofree char *path = NULL;
  g_autofree char *expected = NULL;

  g_setenv ("GCERT_SYSCONFDIR", "/opt/gcert-etc", TRUE);
  path = gcert_config_default_path ();
  g_assert_cmpstr (path, ==, "/opt/gcert-etc/gcert.conf");
  g_clear_pointer (&path, g_free);

  g_unsetenv ("GCERT_SYSCONFDIR");
  path = gcert_config_default_path ();
  if (geteuid () == 0)
    expected = g_build_filename (GCERT_SYSCONFDIR, "gcert.conf", NULL);
  else
    expected = g_build_filename (g_get_user_config_dir (), "gcert", "gcert.conf", NULL);
  g_assert_cmpstr (path, ==, expected);
}

static void
test_ca_certificates_env (void)
{
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GError) error = NULL;

  config = gcert_config_load_from_data ("[gcert]\nca-certificates = /etc/ssl/ca.pem\n",
                                        CONF, &error);
  g_assert_no_error (error);
  g_unsetenv ("GCERT_CA_CERTIFICATES");
  g_assert_cmpstr (gcert_config_get_ca_certificates (config), ==, "/etc/ssl/ca.pem");
  g_setenv ("GCERT_CA_CERTIFICATES", "/tmp/pebble.pem", TRUE);
  g_assert_cmpstr (gcert_config_get_ca_certificates (config), ==, "/tmp/pebble.pem");
  g_unsetenv ("GCERT_CA_CERTIFICATES");
}

static void
test_add_certificate (void)
{
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GError) error = NULL;
  const char *good[] = { "Example.com", "*.example.com", NULL };
  const char *bad[] = { "example.com", "*.*.example.com", NULL };
  const char *dup[] = { "a.example.com", "A.example.com", NULL };
  const char *none[] = { NULL };
  GCertCertificateConfig *cert;

  config = gcert_config_load_from_data ("[gcert]\nkey-type = rsa-2048\nrenew-every = 30d\n"
                                        GOOD_DNS
                                        "[certificate web]\ndomains = example.com\ndns = cf\n",
                                        CONF, &error);
  g_assert_no_error (error);

  cert = gcert_config_add_certificate (config, "adhoc", good, "cf", -1, &error);
  g_assert_no_error (error);
  g_assert_nonnull (cert);
  g_assert_cmpstr (cert->domains[0], ==, "example.com");
  g_assert_cmpstr (cert->domains[1], ==, "*.example.com");
  g_assert_cmpint (cert->key_type, ==, GCERT_KEY_TYPE_RSA_2048);
  g_assert_cmpint (cert->renew_every, ==, 30 * 86400);
  g_assert_true (gcert_config_lookup_certificate (config, "adhoc") == cert);

  cert = gcert_config_add_certificate (config, "adhoc2", good, "cf",
                                       GCERT_KEY_TYPE_EC_384, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cert->key_type, ==, GCERT_KEY_TYPE_EC_384);

  g_assert_null (gcert_config_add_certificate (config, "x", bad, "cf", -1, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "*.*.example.com"));
  g_clear_error (&error);

  g_assert_null (gcert_config_add_certificate (config, "x", dup, "cf", -1, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "duplicate"));
  g_clear_error (&error);

  g_assert_null (gcert_config_add_certificate (config, "x", none, "cf", -1, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_clear_error (&error);

  g_assert_null (gcert_config_add_certificate (config, "x", good, "route53", -1, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "route53"));
  g_clear_error (&error);

  g_assert_null (gcert_config_add_certificate (config, "web", good, "cf", -1, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "web"));
  g_clear_error (&error);

  g_assert_null (gcert_config_add_certificate (config, "../etc", good, "cf", -1, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_clear_error (&error);

  g_assert_cmpuint (gcert_config_get_certificates (config)->len, ==, 3);
}

static void
test_settings (void)
{
  const char *text =
    "[dns x]\n"
    "plugin = exec\n"
    "flag = yes\n"
    "off = 0\n"
    "broken = maybe\n"
    "ttl = 2m\n"
    "badttl = 2 parsecs\n"
    "list = a; b;;c\n"
    "abs = /etc/x\n";
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  const char *allowed[] = { "plugin", "flag", "off", "broken", "ttl", "badttl", "list", "abs", NULL };
  const char *fewer[] = { "plugin", NULL };
  g_auto(GStrv) list = NULL;
  g_autofree char *path = NULL;
  g_autofree char *missing = NULL;
  gboolean flag = FALSE;
  gint64 seconds = 0;

  config = gcert_config_load_from_data (text, CONF, &error);
  g_assert_no_error (error);
  settings = gcert_config_get_dns_settings (config, "x");

  g_assert_true (gcert_settings_check_keys (settings, allowed, &error));
  g_assert_no_error (error);
  g_assert_false (gcert_settings_check_keys (settings, fewer, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, CONF ":3: [dns x] flag: "));
  g_clear_error (&error);

  g_assert_true (gcert_settings_get_boolean (settings, "flag", FALSE, &flag, &error));
  g_assert_true (flag);
  g_assert_true (gcert_settings_get_boolean (settings, "off", TRUE, &flag, &error));
  g_assert_false (flag);
  g_assert_true (gcert_settings_get_boolean (settings, "absent", TRUE, &flag, &error));
  g_assert_true (flag);
  g_assert_no_error (error);
  g_assert_false (gcert_settings_get_boolean (settings, "broken", TRUE, &flag, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, CONF ":5: [dns x] broken: "));
  g_clear_error (&error);

  g_assert_true (gcert_settings_get_duration (settings, "ttl", 0, &seconds, &error));
  g_assert_cmpint (seconds, ==, 120);
  g_assert_true (gcert_settings_get_duration (settings, "absent", 42, &seconds, &error));
  g_assert_cmpint (seconds, ==, 42);
  g_assert_false (gcert_settings_get_duration (settings, "badttl", 0, &seconds, &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, CONF ":7: [dns x] badttl: "));
  g_clear_error (&error);

  list = gcert_settings_get_string_list (settings, "list", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (list), ==, 3);
  g_assert_cmpstr (list[2], ==, "c");

  path = gcert_settings_get_path (settings, "abs", TRUE, &error);
  g_assert_cmpstr (path, ==, "/etc/x");

  missing = gcert_settings_get_string (settings, "token", FALSE, &error);
  g_assert_no_error (error);
  g_assert_null (missing);
  missing = gcert_settings_get_string (settings, "token", TRUE, &error);
  g_assert_null (missing);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, CONF ":1: [dns x] token: "));
  g_clear_error (&error);

  gcert_settings_set_error (settings, &error, "ttl", "too short by %d", 3);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  g_assert_cmpstr (error->message, ==, CONF ":6: [dns x] ttl: too short by 3");
  g_clear_error (&error);
  gcert_settings_set_error (settings, &error, NULL, "whole group");
  g_assert_cmpstr (error->message, ==, CONF ":1: [dns x]: whole group");
}

static void
test_settings_secret (void)
{
  g_autofree char *dir = gcert_test_mkdtemp ("gcert-config-test");
  g_autofree char *conf = g_build_filename (dir, "gcert.conf", NULL);
  g_autofree char *token = g_build_filename (dir, "cf.token", NULL);
  g_autoptr(GCertConfig) config = NULL;
  g_autoptr(GCertSettings) settings = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *chmod_hint = NULL;

  write_text (conf, "[dns cf]\nplugin = cloudflare\ntoken-file = cf.token\n");
  write_text (token, "s3cr3t-T0ken-value\n\n");
  g_assert_cmpint (g_chmod (token, 0600), ==, 0);

  config = gcert_config_load (conf, &error);
  g_assert_no_error (error);
  settings = gcert_config_get_dns_settings (config, "cf");
  secret = gcert_settings_read_secret (settings, "token-file", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, "s3cr3t-T0ken-value");
  g_clear_pointer (&secret, g_free);

  g_assert_cmpint (g_chmod (token, 0644), ==, 0);
  secret = gcert_settings_read_secret (settings, "token-file", &error);
  g_assert_null (secret);
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED);
  g_assert_true (g_str_has_prefix (error->message, conf));
  g_assert_nonnull (strstr (error->message, ":3: [dns cf] token-file: "));
  chmod_hint = g_strdup_printf ("chmod 600 %s", token);
  g_assert_nonnull (strstr (error->message, chmod_hint));
  g_assert_null (strstr (error->message, "s3cr3t"));
  g_clear_error (&error);

  g_assert_null (gcert_settings_read_secret (settings, "password-file", &error));
  g_assert_error (error, GCERT_ERROR, GCERT_ERROR_CONFIG);
  gcert_test_rm_rf (dir);
}

static void
test_domain_validate (void)
{
  static const struct {
    const char *in;
    const char *out;
  } good[] = {
    { "example.com", "example.com" },
    { "WWW.Example.COM", "www.example.com" },
    { "*.example.com", "*.example.com" },
    { "example.com.", "example.com" },
    { "xn--bcher-kva.example", "xn--bcher-kva.example" },
    { "bücher.example", "xn--bcher-kva.example" },
    { "a-b.c-d.example", "a-b.c-d.example" },
    { "1.2.3.example", "1.2.3.example" },
  };
  static const char *bad[] = {
    "", "com", "*", "*.com", "a.*.example.com", "*a.example.com", "a*.example.com",
    "**.example.com", "-a.example.com", "a-.example.com", "a..example.com",
    ".example.com", "a_b.example.com", "a b.example.com", "192.0.2.1", "2001:db8::1",
    "example.123", "exa/mple.com", "example.com..",
  };
  g_autofree char *long_label = g_strnfill (64, 'a');
  g_autofree char *long_label_name = g_strconcat (long_label, ".example.com", NULL);
  g_autoptr(GString) long_name = g_string_new (NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *normalized = NULL;

      g_assert_true (gcert_domain_validate (good[i].in, &normalized, &error));
      g_assert_no_error (error);
      g_assert_cmpstr (normalized, ==, good[i].out);
    }
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *normalized = NULL;

      if (gcert_domain_validate (bad[i], &normalized, &error))
        g_error ("“%s” was accepted as “%s”", bad[i], normalized);
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
      g_assert_null (normalized);
    }

  g_assert_false (gcert_domain_validate (long_label_name, NULL, NULL));
  while (long_name->len < 251)
    g_string_append (long_name, "abcdefghi.");
  g_string_append (long_name, "com");
  g_assert_false (gcert_domain_validate (long_name->str, NULL, NULL));
}

static void
test_name_validate (void)
{
  static const char *good[] = { "web", "web-1", "a.b_c@d", "WEB", "x" };
  static const char *bad[] = { "", ".hidden", "..", "a/b", "a b", "ä", "a\nb", "a:b" };
  g_autofree char *long_name = g_strnfill (65, 'a');
  g_autofree char *max_name = g_strnfill (64, 'a');

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    g_assert_true (gcert_name_validate (good[i], NULL));
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_false (gcert_name_validate (bad[i], &error));
      g_assert_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA);
    }
  g_assert_true (gcert_name_validate (max_name, NULL));
  g_assert_false (gcert_name_validate (long_name, NULL));
}


/* per-target: NAME@TARGET per target, the target's host added with
 * target-name; the batch keys; zones pick the provider by longest match */
static void
test_targets_and_zones (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  GCertCertificateConfig *cert;
  const GCertCaLimits *limits;

  config = gcert_config_load_from_data ("[gcert]\nca = letsencrypt\njobs = 12\n"
                                        "notify-mail = admin@example.com\nwarn-before = 10d\n"
                                        "limit-orders = 20\n"
                                        "[dns main]\nplugin = exec\nzones = example.com\n"
                                        "[dns sub]\nplugin = exec\nzones = sub.example.com\n"
                                        "challenge-alias = alias.example.net\n"
                                        "[deploy web1]\nplugin = ssh\nhost = Web1.Example.com\n"
                                        "[deploy web2]\nplugin = ssh\nhost = web2.example.com\n"
                                        "[certificate site]\ndomains = example.com;*.example.com\n"
                                        "dns = main\ndeploy = web1;web2\nper-target = true\n"
                                        "target-name = true\n"
                                        "[certificate other]\ndomains = x.sub.example.com\n"
                                        "dns = sub\n",
                                        CONF, &error);
  g_assert_no_error (error);

  g_assert_null (gcert_config_lookup_certificate (config, "site"));
  cert = gcert_config_lookup_certificate (config, "site@web1");
  g_assert_nonnull (cert);
  g_assert_cmpstr (cert->target, ==, "web1");
  g_assert_cmpstr (cert->group, ==, "site");
  g_assert_cmpuint (g_strv_length (cert->deploy), ==, 1);
  g_assert_cmpstr (cert->deploy[0], ==, "web1");
  g_assert_cmpuint (g_strv_length (cert->domains), ==, 3);
  g_assert_cmpstr (cert->domains[2], ==, "web1.example.com");
  cert = gcert_config_lookup_certificate (config, "site@web2");
  g_assert_nonnull (cert);
  g_assert_cmpstr (cert->domains[2], ==, "web2.example.com");

  /* the alias comes from the [dns] group */
  cert = gcert_config_lookup_certificate (config, "other");
  g_assert_cmpstr (cert->challenge_alias, ==, "alias.example.net");

  g_assert_cmpstr (gcert_config_find_dns_for_name (config, "_acme-challenge.x.sub.example.com."),
                   ==, "sub");
  g_assert_cmpstr (gcert_config_find_dns_for_name (config, "_acme-challenge.example.com"),
                   ==, "main");
  g_assert_null (gcert_config_find_dns_for_name (config, "_acme-challenge.notexample.com."));

  g_assert_cmpuint (gcert_config_get_jobs (config), ==, 12);
  g_assert_cmpstr (gcert_config_get_notify_mail (config), ==, "admin@example.com");
  g_assert_cmpint (gcert_config_get_warn_before (config), ==, 10 * 24 * 3600);
  limits = gcert_config_get_limits (config);
  g_assert_cmpuint (limits->per_domain_per_week, ==, 50);
  g_assert_cmpuint (limits->duplicates_per_week, ==, 5);
  g_assert_cmpuint (limits->orders_per_3h, ==, 20);
}

/* readers: normalised, kept by per-target copies, NULL when not given */
static void
test_readers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GCertConfig) config = NULL;
  GCertCertificateConfig *cert;

  config = gcert_config_load_from_data (GOOD_DNS
                                        "[deploy web1]\nplugin = ssh\nhost = web1.example.com\n"
                                        "[deploy web2]\nplugin = ssh\nhost = web2.example.com\n"
                                        "[certificate site]\ndomains = example.com\ndns = cf\n"
                                        "readers = nobody ; @nogroup;\n"
                                        "[certificate split]\ndomains = example.org\ndns = cf\n"
                                        "deploy = web1;web2\nper-target = true\n"
                                        "readers = @nogroup\n"
                                        "[certificate plain]\ndomains = example.net\ndns = cf\n"
                                        "[certificate empty]\ndomains = example.edu\ndns = cf\n"
                                        "readers =\n",
                                        CONF, &error);
  g_assert_no_error (error);

  cert = gcert_config_lookup_certificate (config, "site");
  g_assert_nonnull (cert);
  g_assert_cmpstrv (cert->readers, ((const char *[]) { "user:nobody", "group:nogroup", NULL }));
  for (guint i = 1; i <= 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("split@web%u", i);

      cert = gcert_config_lookup_certificate (config, name);
      g_assert_nonnull (cert);
      g_assert_cmpstrv (cert->readers, ((const char *[]) { "group:nogroup", NULL }));
    }
  g_assert_null (gcert_config_lookup_certificate (config, "plain")->readers);
  g_assert_null (gcert_config_lookup_certificate (config, "empty")->readers);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (bad_cases); i++)
    {
      g_autofree char *path = g_strdup_printf ("/gcert/config/bad/%s", bad_cases[i].name);

      g_test_add_data_func (path, &bad_cases[i], test_bad_case);
    }
  g_test_add_func ("/gcert/config/good-full", test_good_full);
  g_test_add_func ("/gcert/config/defaults", test_defaults);
  g_test_add_func ("/gcert/config/presets", test_presets);
  g_test_add_func ("/gcert/config/ca-urls", test_ca_urls);
  g_test_add_func ("/gcert/config/conf-d-merge", test_conf_d_merge);
  g_test_add_func ("/gcert/config/missing-file", test_missing_file);
  g_test_add_func ("/gcert/config/not-utf8", test_not_utf8);
  g_test_add_func ("/gcert/config/state-dir", test_state_dir_resolution);
  g_test_add_func ("/gcert/config/default-path", test_default_path);
  g_test_add_func ("/gcert/config/ca-certificates-env", test_ca_certificates_env);
  g_test_add_func ("/gcert/config/add-certificate", test_add_certificate);
  g_test_add_func ("/gcert/config/targets-and-zones", test_targets_and_zones);
  g_test_add_func ("/gcert/config/readers", test_readers);
  g_test_add_func ("/gcert/settings/values", test_settings);
  g_test_add_func ("/gcert/settings/secret", test_settings_secret);
  g_test_add_func ("/gcert/domain/validate", test_domain_validate);
  g_test_add_func ("/gcert/name/validate", test_name_validate);

  return g_test_run ();
}
