/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "gcert-dns-provider.h"
#include "gcert-error.h"
#include "gcert-rfc2136-private.h"
#include "gcert-settings.h"

/* DNS UPDATE (RFC 2136) signed with TSIG (RFC 8945): adds and deletes single
 * TXT records at a primary server, such as Knot, BIND or PowerDNS. ldns
 * builds and parses the messages; gcert-rfc2136-message.c signs them and
 * carries them, in a worker thread per operation. */

#define DEFAULT_PORT             53
#define DEFAULT_TIMEOUT_SECONDS  10
#define MAX_TIMEOUT_SECONDS      300
#define DEFAULT_TTL_SECONDS      60
#define MAX_TTL_SECONDS          86400
#define MAX_TXT_LENGTH           255
#define OPCODE_UPDATE            5

#define RCODE_NOERROR            0
#define RCODE_FORMERR            1
#define RCODE_SERVFAIL           2
#define RCODE_NOTIMP             4
#define RCODE_REFUSED            5
#define RCODE_NOTAUTH            9
#define RCODE_NOTZONE            10

#define TSIG_BADSIG              16
#define TSIG_BADKEY              17
#define TSIG_BADTIME             18
#define TSIG_BADTRUNC            22

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ldns_pkt, ldns_pkt_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ldns_rdf, ldns_rdf_deep_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (ldns_rr_list, ldns_rr_list_deep_free)

#define GCERT_TYPE_RFC2136_PROVIDER (gcert_rfc2136_provider_get_type ())
G_DECLARE_FINAL_TYPE (GCertRfc2136Provider, gcert_rfc2136_provider,
                      GCERT, RFC2136_PROVIDER, GObject)

/* Set once by setup(), read-only afterwards: the worker threads share it. */
struct _GCertRfc2136Provider {
  GObject              parent_instance;
  char                *server;      /* as configured, for messages */
  char                *host;
  guint16              port;
  char                *zone;        /* lowercase, with its trailing dot; NULL: asked */
  GCertRfc2136Key      key;
  guint32              ttl;
  guint                timeout_seconds;
};

static void gcert_rfc2136_provider_iface_init (GCertDnsProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED (GCertRfc2136Provider, gcert_rfc2136_provider,
                                G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
                                G_IMPLEMENT_INTERFACE_DYNAMIC (GCERT_TYPE_DNS_PROVIDER,
                                                               gcert_rfc2136_provider_iface_init))

/* --- setup -------------------------------------------------------------------- */

static gboolean
setup_key_secret_file (GCertRfc2136Provider  *self,
                       GCertSettings         *settings,
                       GError               **error)
{
  g_autofree char *key_name = NULL;
  g_autofree char *algorithm = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GCertSecret) secret = NULL;

  key_name = gcert_settings_get_string (settings, "key-name", TRUE, error);
  if (key_name == NULL)
    return FALSE;
  g_free (self->key.name);
  self->key.name = gcert_rfc2136_normalize_name (key_name);
  if (self->key.name == NULL)
    {
      gcert_settings_set_error (settings, error, "key-name",
                                _("“%s” is not a valid key name (a domain name such as "
                                  "“acme-update.”)"), key_name);
      return FALSE;
    }

  if (!gcert_settings_get_optional_string (settings, "key-algorithm", &algorithm, error))
    return FALSE;
  if (algorithm == NULL)
    algorithm = g_strdup ("hmac-sha256");
  self->key.algorithm = gcert_rfc2136_algorithm_lookup (algorithm);
  if (self->key.algorithm == NULL)
    {
      gcert_settings_set_error (settings, error, "key-algorithm",
                                _("unsupported TSIG algorithm “%s”: use one of %s"),
                                algorithm, GCERT_RFC2136_ALGORITHM_LIST);
      return FALSE;
    }

  path = gcert_settings_get_path (settings, "key-secret-file", TRUE, error);
  if (path == NULL)
    return FALSE;
  secret = gcert_settings_read_secret (settings, "key-secret-file", error);
  if (secret == NULL)
    return FALSE;
  g_strstrip (secret);
  if (!gcert_rfc2136_is_base64 (secret))
    {
      gcert_settings_set_error (settings, error, "key-secret-file",
                                _("%s does not hold a base64 TSIG secret (a key in BIND's "
                                  "format, key \"NAME\" { … };, goes in key-file)"), path);
      return FALSE;
    }
  gcert_rfc2136_key_set_secret (&self->key, secret);
  return TRUE;
}

static gboolean
setup_key_file (GCertRfc2136Provider  *self,
                GCertSettings         *settings,
                GError               **error)
{
  g_autofree char *path = NULL;
  g_autofree char *wanted_text = NULL;
  g_autofree char *wanted = NULL;
  g_autofree char *problem = NULL;
  g_autoptr(GCertSecret) text = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  GCertRfc2136KeyEntry *chosen = NULL;

  if (gcert_settings_has_key (settings, "key-algorithm"))
    {
      gcert_settings_set_error (settings, error, "key-algorithm",
                                _("the algorithm comes from key-file: remove key-algorithm"));
      return FALSE;
    }
  if (!gcert_settings_get_optional_string (settings, "key-name", &wanted_text, error))
    return FALSE;
  if (wanted_text != NULL)
    {
      wanted = gcert_rfc2136_normalize_name (wanted_text);
      if (wanted == NULL)
        {
          gcert_settings_set_error (settings, error, "key-name",
                                    _("“%s” is not a valid key name (a domain name such as "
                                      "“acme-update.”)"), wanted_text);
          return FALSE;
        }
    }

  path = gcert_settings_get_path (settings, "key-file", TRUE, error);
  if (path == NULL)
    return FALSE;
  text = gcert_settings_read_secret (settings, "key-file", error);
  if (text == NULL)
    return FALSE;
  keys = gcert_rfc2136_parse_key_file (text, &problem);
  if (keys == NULL)
    {
      gcert_settings_set_error (settings, error, "key-file", "%s: %s", path, problem);
      return FALSE;
    }

  for (guint i = 0; i < keys->len; i++)
    {
      GCertRfc2136KeyEntry *entry = g_ptr_array_index (keys, i);

      if (wanted == NULL || g_str_equal (entry->name, wanted))
        {
          chosen = entry;
          break;
        }
    }
  if (wanted != NULL && chosen == NULL)
    {
      gcert_settings_set_error (settings, error, "key-name",
                                _("%s holds no key “%s”"), path, wanted);
      return FALSE;
    }
  if (wanted == NULL && keys->len > 1)
    {
      gcert_settings_set_error (settings, error, "key-file",
                                _("%s holds %u keys: choose one with key-name"), path,
                                keys->len);
      return FALSE;
    }

  g_free (self->key.name);
  self->key.name = g_strdup (chosen->name);
  self->key.algorithm = chosen->algorithm;
  gcert_rfc2136_key_set_secret (&self->key, chosen->secret);
  return TRUE;
}

static gboolean
gcert_rfc2136_provider_setup (GCertDnsProvider  *provider,
                              GCertSettings     *settings,
                              GError           **error)
{
  GCertRfc2136Provider *self = GCERT_RFC2136_PROVIDER (provider);
  static const char * const allowed[] = {
    "plugin", "server", "key-name", "key-algorithm", "key-secret-file", "key-file",
    "zone", "timeout", "ttl", NULL
  };
  g_autofree char *server = NULL;
  g_autofree char *zone = NULL;
  g_autoptr(GSocketConnectable) connectable = NULL;
  gboolean has_secret_file, has_key_file;
  gint64 timeout, ttl;

  if (!gcert_settings_check_keys (settings, allowed, error))
    return FALSE;

  server = gcert_settings_get_string (settings, "server", TRUE, error);
  if (server == NULL)
    return FALSE;
  connectable = g_network_address_parse (server, DEFAULT_PORT, NULL);
  if (connectable == NULL ||
      g_network_address_get_port (G_NETWORK_ADDRESS (connectable)) == 0 ||
      strchr (server, '/') != NULL)
    {
      gcert_settings_set_error (settings, error, "server",
                                _("“%s” is not HOST or HOST:PORT (an IPv6 address with a "
                                  "port goes in brackets: [2001:db8::1]:53)"), server);
      return FALSE;
    }

  if (!gcert_settings_get_optional_string (settings, "zone", &zone, error))
    return FALSE;
  g_clear_pointer (&self->zone, g_free);
  if (zone != NULL)
    {
      self->zone = gcert_rfc2136_normalize_name (zone);
      if (self->zone == NULL || g_str_equal (self->zone, "."))
        {
          gcert_settings_set_error (settings, error, "zone",
                                    _("“%s” is not a valid zone name"), zone);
          return FALSE;
        }
    }

  if (!gcert_settings_get_duration_in_range (settings, "timeout", DEFAULT_TIMEOUT_SECONDS, 1,
                                             MAX_TIMEOUT_SECONDS, &timeout, error) ||
      !gcert_settings_get_duration_in_range (settings, "ttl", DEFAULT_TTL_SECONDS, 1,
                                             MAX_TTL_SECONDS, &ttl, error))
    return FALSE;

  has_secret_file = gcert_settings_has_key (settings, "key-secret-file");
  has_key_file = gcert_settings_has_key (settings, "key-file");
  if (has_secret_file && has_key_file)
    {
      gcert_settings_set_error (settings, error, "key-file",
                                _("set either key-secret-file (with key-name) or key-file, "
                                  "not both"));
      return FALSE;
    }
  if (!has_secret_file && !has_key_file)
    {
      gcert_settings_set_error (settings, error, NULL,
                                _("the TSIG key is missing: set key-secret-file (with "
                                  "key-name) or key-file"));
      return FALSE;
    }
  if (has_secret_file ? !setup_key_secret_file (self, settings, error)
                      : !setup_key_file (self, settings, error))
    return FALSE;

  g_free (self->server);
  self->server = g_steal_pointer (&server);
  g_free (self->host);
  self->host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable)));
  self->port = g_network_address_get_port (G_NETWORK_ADDRESS (connectable));
  self->timeout_seconds = timeout;
  self->ttl = ttl;
  g_debug ("server %s, key %s (%s), zone %s", self->server, self->key.name,
           self->key.algorithm->name, self->zone != NULL ? self->zone : "(asked)");
  return TRUE;
}

/* --- finding the server and the zone -------------------------------------------- */

static GSocketAddress *
resolve_server (GCertRfc2136Provider  *self,
                GCancellable          *cancellable,
                GError               **error)
{
  g_autoptr(GInetAddress) address = g_inet_address_new_from_string (self->host);

  if (address == NULL)
    {
      g_autoptr(GResolver) resolver = g_resolver_get_default ();
      GError *local_error = NULL;
      GList *addresses;

      addresses = g_resolver_lookup_by_name (resolver, self->host, cancellable, &local_error);
      if (addresses == NULL)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              g_propagate_error (error, local_error);
              return NULL;
            }
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_NETWORK, _("cannot resolve %s: %s"),
                       self->host, local_error->message);
          g_error_free (local_error);
          return NULL;
        }
      address = g_object_ref (addresses->data);
      g_resolver_free_addresses (addresses);
    }
  return g_inet_socket_address_new (address, self->port);
}

/* The owner of an SOA record in @list that is @name (or, with @ancestors,
 * one of its parents) */
static const ldns_rdf *
find_soa_owner (const ldns_rr_list *list,
                const ldns_rdf     *name,
                gboolean            ancestors)
{
  for (gsize i = 0; list != NULL && i < ldns_rr_list_rr_count (list); i++)
    {
      const ldns_rr *rr = ldns_rr_list_rr (list, i);
      const ldns_rdf *owner = ldns_rr_owner (rr);

      if (ldns_rr_get_type (rr) != LDNS_RR_TYPE_SOA)
        continue;
      if (ldns_dname_compare (owner, name) == 0 ||
          (ancestors && ldns_dname_is_subdomain (name, owner)))
        return owner;
    }
  return NULL;
}

static char *
rdf_to_name (const ldns_rdf *rdf)
{
  char *text = ldns_rdf2str (rdf);
  char *name = g_ascii_strdown (text, -1);

  free (text);
  return name;
}

/* Asks the server for the SOA of @fqdn and of each parent in turn, until
 * it names the zone: the SOA itself in the answer, or the zone's SOA in the
 * authority section of an NXDOMAIN or NODATA answer. */
static char *
find_zone (GCertRfc2136Exchange  *exchange,
           const char            *fqdn,
           GError               **error)
{
  g_autoptr(ldns_rdf) current = ldns_dname_new_frm_str (fqdn);
  g_autofree char *last_rcode = NULL;

  while (current != NULL)
    {
      g_autoptr(ldns_pkt) query = NULL;
      g_autoptr(ldns_pkt) reply = NULL;
      g_autoptr(GBytes) answer = NULL;
      g_autoptr(ldns_rdf) parent = NULL;
      const ldns_rdf *owner;
      guint8 *wire = NULL;
      size_t wire_length = 0;
      gsize answer_length;
      const guint8 *answer_data;
      ldns_pkt_rcode rcode;
      char *rcode_text;

      query = ldns_pkt_query_new (ldns_rdf_clone (current), LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN,
                                  0);
      if (query == NULL)
        break;
      ldns_pkt_set_id (query, gcert_rfc2136_random_id ());
      if (ldns_pkt2wire (&wire, query, &wire_length) != LDNS_STATUS_OK)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED,
                       _("cannot build the SOA query"));
          return NULL;
        }
      answer = gcert_rfc2136_exchange (exchange, wire, wire_length, error);
      free (wire);
      if (answer == NULL)
        return NULL;
      answer_data = g_bytes_get_data (answer, &answer_length);
      if (ldns_wire2pkt (&reply, answer_data, answer_length) != LDNS_STATUS_OK)
        {
          g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                       _("malformed answer to the SOA query"));
          return NULL;
        }

      rcode = ldns_pkt_get_rcode (reply);
      if (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN)
        {
          owner = find_soa_owner (ldns_pkt_answer (reply), current, FALSE);
          if (owner == NULL)
            owner = find_soa_owner (ldns_pkt_authority (reply), current, TRUE);
          if (owner != NULL)
            return rdf_to_name (owner);
        }
      rcode_text = ldns_pkt_rcode2str (rcode);
      g_free (last_rcode);
      last_rcode = g_strdup (rcode_text);
      free (rcode_text);

      if (ldns_dname_label_count (current) == 0)
        break;
      parent = ldns_dname_left_chop (current);
      g_clear_pointer (&current, ldns_rdf_deep_free);
      current = g_steal_pointer (&parent);
    }

  g_set_error (error, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
               _("the server serves no zone that holds %s (its last answer: %s); "
                 "if it does not answer SOA queries, set zone"),
               fqdn, last_rcode != NULL ? last_rcode : "none");
  return NULL;
}

static gboolean
name_in_zone (const char *fqdn,
              const char *zone)
{
  gsize length = strlen (fqdn);
  gsize zone_length = strlen (zone);

  if (g_str_equal (zone, ".") || g_str_equal (fqdn, zone))
    return TRUE;
  return length > zone_length && g_str_has_suffix (fqdn, zone) &&
         fqdn[length - zone_length - 1] == '.';
}

/* --- the update ------------------------------------------------------------- */

typedef struct {
  gboolean  add;
  char     *fqdn;    /* normalized */
  char     *value;
} Op;

static void
op_free (Op *op)
{
  g_free (op->fqdn);
  g_free (op->value);
  g_free (op);
}

/* An UPDATE for @zone that adds the TXT record (class IN) or deletes that
 * one record (class NONE, RFC 2136 §2.5.4), never the whole set. */
static GByteArray *
build_update (GCertRfc2136Provider  *self,
              const Op              *op,
              const char            *zone,
              GError               **error)
{
  g_autoptr(ldns_rr_list) updates = ldns_rr_list_new ();
  g_autoptr(ldns_pkt) packet = NULL;
  g_autoptr(GByteArray) message = NULL;
  ldns_rdf *owner = ldns_dname_new_frm_str (op->fqdn);
  ldns_rdf *zone_rdf = ldns_dname_new_frm_str (zone);
  ldns_rr *rr = ldns_rr_new ();
  gsize value_length = strlen (op->value);
  guint8 text[1 + MAX_TXT_LENGTH];
  guint8 *wire = NULL;
  size_t wire_length = 0;

  g_assert (value_length <= MAX_TXT_LENGTH);
  text[0] = value_length;
  memcpy (text + 1, op->value, value_length);

  ldns_rr_set_owner (rr, owner);
  ldns_rr_set_type (rr, LDNS_RR_TYPE_TXT);
  ldns_rr_set_class (rr, op->add ? LDNS_RR_CLASS_IN : LDNS_RR_CLASS_NONE);
  ldns_rr_set_ttl (rr, op->add ? self->ttl : 0);
  ldns_rr_push_rdf (rr, ldns_rdf_new_frm_data (LDNS_RDF_TYPE_STR, value_length + 1, text));
  ldns_rr_list_push_rr (updates, rr);

  packet = ldns_update_pkt_new (zone_rdf, LDNS_RR_CLASS_IN, NULL, updates, NULL);
  if (packet == NULL || owner == NULL)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, _("cannot build the update"));
      return NULL;
    }
  /* ldns sets RD, which an UPDATE does not have */
  ldns_pkt_set_rd (packet, false);
  ldns_pkt_set_id (packet, gcert_rfc2136_random_id ());
  if (ldns_pkt2wire (&wire, packet, &wire_length) != LDNS_STATUS_OK)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_FAILED, _("cannot build the update"));
      return NULL;
    }
  message = g_byte_array_sized_new (wire_length + 128);
  g_byte_array_append (message, wire, wire_length);
  free (wire);
  return g_steal_pointer (&message);
}

static const char *
rcode_name (guint rcode)
{
  static const char * const names[] = {
    "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN",
    "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
  };

  return rcode < G_N_ELEMENTS (names) ? names[rcode] : NULL;
}

static const char *
tsig_error_name (guint16 code)
{
  switch (code)
    {
    case TSIG_BADSIG:
      return "BADSIG";
    case TSIG_BADKEY:
      return "BADKEY";
    case TSIG_BADTIME:
      return "BADTIME";
    case TSIG_BADTRUNC:
      return "BADTRUNC";
    default:
      return NULL;
    }
}

/* The error for an answer with an error rcode or TSIG error, with what it
 * most likely means. */
static void
set_rcode_error (GCertRfc2136Provider  *self,
                 const Op              *op,
                 const char            *zone,
                 guint                  rcode,
                 guint16                tsig_error,
                 GError               **error)
{
  g_autofree char *zone_text = gcert_rfc2136_display_name (zone);
  g_autofree char *code = NULL;
  g_autofree char *hint = NULL;
  GCertError error_code = GCERT_ERROR_FAILED;
  gboolean refused = TRUE;

  if (rcode_name (rcode) != NULL)
    code = g_strdup (rcode_name (rcode));
  else
    code = g_strdup_printf ("RCODE %u", rcode);
  if (tsig_error != 0)
    {
      g_autofree char *with_tsig = NULL;

      if (tsig_error_name (tsig_error) != NULL)
        with_tsig = g_strdup_printf (_("%s, TSIG error %s"), code, tsig_error_name (tsig_error));
      else
        with_tsig = g_strdup_printf (_("%s, TSIG error %u"), code, tsig_error);
      g_free (code);
      code = g_steal_pointer (&with_tsig);
    }

  switch (tsig_error)
    {
    case TSIG_BADSIG:
      error_code = GCERT_ERROR_PERMISSION_DENIED;
      hint = g_strdup_printf (_("the secret of key %s is not the one the server has"),
                              self->key.name);
      break;
    case TSIG_BADKEY:
      error_code = GCERT_ERROR_PERMISSION_DENIED;
      hint = g_strdup_printf (_("the server does not know key %s with algorithm %s, or does "
                                "not let it make this change"),
                              self->key.name, self->key.algorithm->name);
      break;
    case TSIG_BADTIME:
      error_code = GCERT_ERROR_PERMISSION_DENIED;
      hint = g_strdup_printf (_("the clocks of this machine and of the server differ by more "
                                "than %u s"), GCERT_RFC2136_TSIG_FUDGE);
      break;
    default:
      switch (rcode)
        {
        case RCODE_NOTAUTH:
          error_code = GCERT_ERROR_PERMISSION_DENIED;
          hint = g_strdup_printf (_("the key is not allowed to update zone %s, or the server "
                                    "is not its primary"), zone_text);
          break;
        case RCODE_REFUSED:
          error_code = GCERT_ERROR_PERMISSION_DENIED;
          hint = g_strdup_printf (_("the key is not allowed to make this change in zone %s"),
                                  zone_text);
          break;
        case RCODE_NOTZONE:
          error_code = GCERT_ERROR_NOT_FOUND;
          hint = g_strdup_printf (_("%s is not in zone %s"), op->fqdn, zone_text);
          break;
        case RCODE_SERVFAIL:
          refused = FALSE;
          hint = g_strdup (_("the server could not apply the change; its log says why"));
          break;
        case RCODE_NOTIMP:
          refused = FALSE;
          error_code = GCERT_ERROR_NOT_SUPPORTED;
          hint = g_strdup (_("the server does not support DNS UPDATE"));
          break;
        case RCODE_FORMERR:
          refused = FALSE;
          hint = g_strdup (_("the server could not parse the update"));
          break;
        default:
          refused = FALSE;
          hint = g_strdup (_("unexpected answer"));
          break;
        }
      break;
    }

  if (refused)
    g_set_error (error, GCERT_ERROR, error_code,
                 _("DNS UPDATE of %s at %s refused by the server: %s (%s)"),
                 op->fqdn, self->server, code, hint);
  else
    g_set_error (error, GCERT_ERROR, error_code,
                 _("DNS UPDATE of %s at %s failed: the server answered %s (%s)"),
                 op->fqdn, self->server, code, hint);
}

static gboolean
check_update_answer (GCertRfc2136Provider  *self,
                     const Op              *op,
                     const char            *zone,
                     GBytes                *request_mac,
                     GBytes                *answer,
                     GError               **error)
{
  g_auto(GCertRfc2136Tsig) tsig = { 0 };
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (answer, &length);
  guint rcode;
  gint64 now;

  if (length < GCERT_RFC2136_HEADER_SIZE || ((data[2] >> 3) & 0x0f) != OPCODE_UPDATE ||
      !gcert_rfc2136_find_tsig (data, length, &tsig))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                   _("DNS UPDATE of %s at %s failed: malformed answer"), op->fqdn,
                   self->server);
      return FALSE;
    }

  /* errors such as BADSIG and BADKEY come unsigned: report them all, signed
   * or not, as nothing was changed */
  rcode = data[3] & 0x0f;
  if (rcode != RCODE_NOERROR || (tsig.present && tsig.error != 0))
    {
      set_rcode_error (self, op, zone, rcode, tsig.present ? tsig.error : 0, error);
      return FALSE;
    }

  if (!tsig.present || tsig.mac_length == 0)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                   _("DNS UPDATE of %s at %s: the server's answer is not signed with "
                     "key %s"), op->fqdn, self->server, self->key.name);
      return FALSE;
    }
  if (!gcert_rfc2136_tsig_verify (&self->key, request_mac, data, &tsig))
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                   _("DNS UPDATE of %s at %s: the TSIG signature of the server's answer "
                     "does not verify with key %s"), op->fqdn, self->server, self->key.name);
      return FALSE;
    }
  now = g_get_real_time () / G_USEC_PER_SEC;
  if (ABS (now - (gint64) tsig.time_signed) > tsig.fudge)
    {
      g_set_error (error, GCERT_ERROR, GCERT_ERROR_PERMISSION_DENIED,
                   _("DNS UPDATE of %s at %s: the server's answer was signed at a time "
                     "%" G_GINT64_FORMAT " s away from this machine's clock"),
                   op->fqdn, self->server, now - (gint64) tsig.time_signed);
      return FALSE;
    }
  return TRUE;
}

static void
update_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  GCertRfc2136Provider *self = source_object;
  Op *op = task_data;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GByteArray) message = NULL;
  g_autoptr(GBytes) request_mac = NULL;
  g_autoptr(GBytes) answer = NULL;
  g_autofree char *zone = NULL;
  GError *error = NULL;
  GCertRfc2136Exchange exchange = { self->server, NULL, self->timeout_seconds, 0, cancellable };

  exchange.deadline = g_get_monotonic_time () + self->timeout_seconds * G_USEC_PER_SEC;
  address = resolve_server (self, cancellable, &error);
  if (address == NULL)
    {
      g_prefix_error (&error, _("DNS UPDATE of %s at %s failed: "), op->fqdn, self->server);
      g_task_return_error (task, error);
      return;
    }
  exchange.address = address;

  if (self->zone != NULL)
    {
      zone = g_strdup (self->zone);
    }
  else
    {
      zone = find_zone (&exchange, op->fqdn, &error);
      if (zone == NULL)
        {
          g_prefix_error (&error, _("finding the zone of %s at %s: "), op->fqdn, self->server);
          g_task_return_error (task, error);
          return;
        }
    }
  if (!name_in_zone (op->fqdn, zone))
    {
      g_autofree char *zone_text = gcert_rfc2136_display_name (zone);

      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_NOT_FOUND,
                               _("%s is not in zone %s"), op->fqdn, zone_text);
      return;
    }

  /* nothing has been changed yet: a cancellation stops here for sure */
  if (g_cancellable_set_error_if_cancelled (cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  message = build_update (self, op, zone, &error);
  if (message != NULL)
    request_mac = gcert_rfc2136_tsig_sign (&self->key, message, &error);
  if (request_mac == NULL)
    {
      g_prefix_error (&error, _("DNS UPDATE of %s at %s failed: "), op->fqdn, self->server);
      g_task_return_error (task, error);
      return;
    }
  answer = gcert_rfc2136_exchange (&exchange, message->data, message->len, &error);
  if (answer == NULL)
    {
      g_prefix_error (&error, _("DNS UPDATE of %s at %s failed: "), op->fqdn, self->server);
      g_task_return_error (task, error);
      return;
    }
  if (!check_update_answer (self, op, zone, request_mac, answer, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_debug ("%s TXT at %s in zone %s at %s", op->add ? "added" : "deleted", op->fqdn, zone,
           self->server);
  g_task_return_boolean (task, TRUE);
}

static void
start_update (GCertRfc2136Provider *self,
              gboolean              add,
              const char           *fqdn,
              const char           *value,
              GCancellable         *cancellable,
              GAsyncReadyCallback   callback,
              gpointer              user_data,
              gpointer              source_tag)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *name = NULL;
  Op *op;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, source_tag);
  /* an update that was made is reported as made, even when cancelled late */
  g_task_set_check_cancellable (task, FALSE);

  if (self->key.secret == NULL)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_FAILED,
                               _("the rfc2136 plugin is not set up"));
      return;
    }
  name = gcert_rfc2136_normalize_name (fqdn);
  if (name == NULL || g_str_equal (name, "."))
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("“%s” is not a valid record name"), fqdn);
      return;
    }
  if (strlen (value) > MAX_TXT_LENGTH)
    {
      g_task_return_new_error (task, GCERT_ERROR, GCERT_ERROR_INVALID_DATA,
                               _("the TXT value for %s is longer than %u bytes"), name,
                               MAX_TXT_LENGTH);
      return;
    }

  op = g_new0 (Op, 1);
  op->add = add;
  op->fqdn = g_steal_pointer (&name);
  op->value = g_strdup (value);
  g_task_set_task_data (task, op, (GDestroyNotify) op_free);
  g_task_run_in_thread (task, update_thread);
}

static void
gcert_rfc2136_provider_create_record_async (GCertDnsProvider    *provider,
                                            const char          *fqdn,
                                            const char          *value,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  start_update (GCERT_RFC2136_PROVIDER (provider), TRUE, fqdn, value, cancellable, callback,
                user_data, gcert_rfc2136_provider_create_record_async);
}

static gboolean
gcert_rfc2136_provider_create_record_finish (GCertDnsProvider  *provider,
                                             GAsyncResult      *result,
                                             GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
gcert_rfc2136_provider_remove_record_async (GCertDnsProvider    *provider,
                                            const char          *fqdn,
                                            const char          *value,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data)
{
  start_update (GCERT_RFC2136_PROVIDER (provider), FALSE, fqdn, value, cancellable, callback,
                user_data, gcert_rfc2136_provider_remove_record_async);
}

static gboolean
gcert_rfc2136_provider_remove_record_finish (GCertDnsProvider  *provider,
                                             GAsyncResult      *result,
                                             GError           **error)
{
  g_return_val_if_fail (g_task_is_valid (result, provider), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/* --- GObject and module --------------------------------------------------- */

static void
gcert_rfc2136_provider_finalize (GObject *object)
{
  GCertRfc2136Provider *self = GCERT_RFC2136_PROVIDER (object);

  gcert_rfc2136_key_clear (&self->key);
  g_free (self->server);
  g_free (self->host);
  g_free (self->zone);

  G_OBJECT_CLASS (gcert_rfc2136_provider_parent_class)->finalize (object);
}

static void
gcert_rfc2136_provider_iface_init (GCertDnsProviderInterface *iface)
{
  iface->setup = gcert_rfc2136_provider_setup;
  iface->create_record_async = gcert_rfc2136_provider_create_record_async;
  iface->create_record_finish = gcert_rfc2136_provider_create_record_finish;
  iface->remove_record_async = gcert_rfc2136_provider_remove_record_async;
  iface->remove_record_finish = gcert_rfc2136_provider_remove_record_finish;
}

static void
gcert_rfc2136_provider_class_init (GCertRfc2136ProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = gcert_rfc2136_provider_finalize;
}

static void
gcert_rfc2136_provider_class_finalize (GCertRfc2136ProviderClass *klass)
{
}

static void
gcert_rfc2136_provider_init (GCertRfc2136Provider *self)
{
  self->port = DEFAULT_PORT;
  self->ttl = DEFAULT_TTL_SECONDS;
  self->timeout_seconds = DEFAULT_TIMEOUT_SECONDS;
}

G_MODULE_EXPORT void
g_io_module_load (GIOModule *module)
{
  /* stay loaded: worker threads may still run after the last provider */
  g_type_module_use (G_TYPE_MODULE (module));
  gcert_rfc2136_provider_register_type (G_TYPE_MODULE (module));
  g_io_extension_point_implement (GCERT_DNS_PROVIDER_EXTENSION_POINT,
                                  GCERT_TYPE_RFC2136_PROVIDER, "rfc2136", 0);
}

G_MODULE_EXPORT void
g_io_module_unload (GIOModule *module)
{
}

G_MODULE_EXPORT char **
g_io_module_query (void)
{
  return g_strdupv ((char **) (const char * const []) { GCERT_DNS_PROVIDER_EXTENSION_POINT, NULL });
}
