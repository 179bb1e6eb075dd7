/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include "gcert-dbus-util.h"

static GVariant *json_to_variant (JsonNode *node);

static GVariant *
array_to_variant (JsonArray *array)
{
  guint length = json_array_get_length (array);
  gboolean all_strings = TRUE;
  GVariantBuilder builder;

  for (guint i = 0; i < length && all_strings; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      all_strings = JSON_NODE_HOLDS_VALUE (element) &&
                    json_node_get_value_type (element) == G_TYPE_STRING;
    }
  if (all_strings)
    {
      g_variant_builder_init (&builder, G_VARIANT_TYPE_STRING_ARRAY);
      for (guint i = 0; i < length; i++)
        g_variant_builder_add (&builder, "s", json_array_get_string_element (array, i));
      return g_variant_builder_end (&builder);
    }
  g_variant_builder_init (&builder, G_VARIANT_TYPE ("av"));
  for (guint i = 0; i < length; i++)
    {
      GVariant *element = json_to_variant (json_array_get_element (array, i));

      if (element != NULL)
        g_variant_builder_add (&builder, "v", element);
    }
  return g_variant_builder_end (&builder);
}

static GVariant *
json_to_variant (JsonNode *node)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    return gcert_dbus_json_to_vardict (node);
  if (JSON_NODE_HOLDS_ARRAY (node))
    return array_to_variant (json_node_get_array (node));
  if (!JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_variant_new_string (json_node_get_string (node));
    case G_TYPE_BOOLEAN:
      return g_variant_new_boolean (json_node_get_boolean (node));
    case G_TYPE_DOUBLE:
      return g_variant_new_double (json_node_get_double (node));
    default:
      return g_variant_new_int64 (json_node_get_int (node));
    }
}

GVariant *
gcert_dbus_json_to_vardict (JsonNode *object)
{
  GVariantBuilder builder;
  JsonObjectIter iter;
  const char *member;
  JsonNode *value;

  g_return_val_if_fail (object != NULL && JSON_NODE_HOLDS_OBJECT (object), NULL);

  g_variant_builder_init (&builder, G_VARIANT_TYPE_VARDICT);
  json_object_iter_init (&iter, json_node_get_object (object));
  while (json_object_iter_next (&iter, &member, &value))
    {
      GVariant *converted = json_to_variant (value);

      if (converted != NULL)
        g_variant_builder_add (&builder, "{sv}", member, converted);
    }
  return g_variant_builder_end (&builder);
}

JsonNode *
gcert_dbus_variant_to_json (GVariant *value)
{
  JsonNode *node;

  g_return_val_if_fail (value != NULL, NULL);

  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);

      return gcert_dbus_variant_to_json (inner);
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARDICT))
    {
      JsonObject *object = json_object_new ();
      GVariantIter iter;
      const char *key;
      GVariant *member;

      g_variant_iter_init (&iter, value);
      while (g_variant_iter_loop (&iter, "{&sv}", &key, &member))
        json_object_set_member (object, key, gcert_dbus_variant_to_json (member));
      node = json_node_init_object (json_node_alloc (), object);
      json_object_unref (object);
      return node;
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_ARRAY))
    {
      JsonArray *array = json_array_new ();
      gsize n = g_variant_n_children (value);

      for (gsize i = 0; i < n; i++)
        {
          g_autoptr(GVariant) child = g_variant_get_child_value (value, i);

          json_array_add_element (array, gcert_dbus_variant_to_json (child));
        }
      node = json_node_init_array (json_node_alloc (), array);
      json_array_unref (array);
      return node;
    }

  node = json_node_alloc ();
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) ||
      g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH))
    return json_node_init_string (node, g_variant_get_string (value, NULL));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return json_node_init_boolean (node, g_variant_get_boolean (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT64))
    return json_node_init_int (node, g_variant_get_int64 (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT64))
    return json_node_init_int (node, (gint64) g_variant_get_uint64 (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_INT32))
    return json_node_init_int (node, g_variant_get_int32 (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_UINT32))
    return json_node_init_int (node, g_variant_get_uint32 (value));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_DOUBLE))
    return json_node_init_double (node, g_variant_get_double (value));
  return json_node_init_null (node);
}

GVariant *
gcert_dbus_results_to_variant (GPtrArray *results)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; results != NULL && i < results->len; i++)
    {
      GCertRenewResult *r = g_ptr_array_index (results, i);
      GVariantBuilder entry;

      g_variant_builder_init (&entry, G_VARIANT_TYPE_VARDICT);
      g_variant_builder_add (&entry, "{sv}", "name", g_variant_new_string (r->name));
      g_variant_builder_add (&entry, "{sv}", "attempted", g_variant_new_boolean (r->attempted));
      g_variant_builder_add (&entry, "{sv}", "success", g_variant_new_boolean (r->success));
      if (r->reason != NULL)
        g_variant_builder_add (&entry, "{sv}", "reason", g_variant_new_string (r->reason));
      if (r->error != NULL)
        {
          g_variant_builder_add (&entry, "{sv}", "error", g_variant_new_string (r->error->message));
          g_variant_builder_add (&entry, "{sv}", "error-domain",
                                 g_variant_new_string (g_quark_to_string (r->error->domain)));
          g_variant_builder_add (&entry, "{sv}", "error-code", g_variant_new_int32 (r->error->code));
        }
      g_variant_builder_add (&entry, "{sv}", "version", g_variant_new_uint32 (r->version));
      if (r->not_after != NULL)
        {
          g_autofree char *iso = g_date_time_format_iso8601 (r->not_after);

          g_variant_builder_add (&entry, "{sv}", "not-after", g_variant_new_string (iso));
        }
      g_variant_builder_add (&entry, "{sv}", "deploy-attempted",
                             g_variant_new_boolean (r->deploy_attempted));
      g_variant_builder_add (&entry, "{sv}", "deployed",
                             g_variant_new_strv (r->deployed ? (const char * const *) r->deployed
                                                             : NULL,
                                                 r->deployed ? -1 : 0));
      if (r->deploy_error != NULL)
        g_variant_builder_add (&entry, "{sv}", "deploy-error",
                               g_variant_new_string (r->deploy_error->message));
      g_variant_builder_add (&builder, "a{sv}", &entry);
    }
  return g_variant_builder_end (&builder);
}

GPtrArray *
gcert_dbus_results_from_variant (GVariant *value)
{
  g_autoptr(GPtrArray) results =
    g_ptr_array_new_with_free_func ((GDestroyNotify) gcert_renew_result_free);
  GVariantIter iter;
  GVariant *entry;

  g_return_val_if_fail (g_variant_is_of_type (value, G_VARIANT_TYPE ("aa{sv}")), NULL);

  g_variant_iter_init (&iter, value);
  while ((entry = g_variant_iter_next_value (&iter)) != NULL)
    {
      g_autoptr(GVariant) owned = entry;
      GCertRenewResult *r = g_new0 (GCertRenewResult, 1);
      GVariantDict dict;
      const char *text = NULL, *domain = NULL;
      gint32 code = 0;

      g_variant_dict_init (&dict, owned);
      if (!g_variant_dict_lookup (&dict, "name", "s", &r->name))
        r->name = g_strdup ("?");
      g_variant_dict_lookup (&dict, "attempted", "b", &r->attempted);
      g_variant_dict_lookup (&dict, "success", "b", &r->success);
      g_variant_dict_lookup (&dict, "reason", "s", &r->reason);
      g_variant_dict_lookup (&dict, "version", "u", &r->version);
      if (g_variant_dict_lookup (&dict, "error", "&s", &text))
        {
          /* the same domain and code, so that the caller's exit status is
           * the one an in-process run gives */
          g_variant_dict_lookup (&dict, "error-domain", "&s", &domain);
          g_variant_dict_lookup (&dict, "error-code", "i", &code);
          r->error = g_error_new_literal (domain ? g_quark_from_string (domain) : GCERT_ERROR,
                                          code, text);
        }
      if (g_variant_dict_lookup (&dict, "not-after", "&s", &text))
        r->not_after = g_date_time_new_from_iso8601 (text, NULL);
      g_variant_dict_lookup (&dict, "deploy-attempted", "b", &r->deploy_attempted);
      g_variant_dict_lookup (&dict, "deployed", "^as", &r->deployed);
      if (g_variant_dict_lookup (&dict, "deploy-error", "&s", &text))
        r->deploy_error = g_error_new_literal (GCERT_ERROR, GCERT_ERROR_FAILED, text);
      g_variant_dict_clear (&dict);
      g_ptr_array_add (results, r);
    }
  return g_steal_pointer (&results);
}

int
gcert_renew_results_exit_status (GPtrArray *results)
{
  guint failed = 0, succeeded = 0;
  int worst = GCERT_EXIT_OK;

  for (guint i = 0; results != NULL && i < results->len; i++)
    {
      GCertRenewResult *r = g_ptr_array_index (results, i);

      if (!r->success)
        {
          int status = gcert_error_to_exit_status (r->error);

          failed++;
          /* the most telling status wins: locked and config errors are
           * more specific than a plain failure */
          if (worst == GCERT_EXIT_OK || status == GCERT_EXIT_USAGE || status == GCERT_EXIT_LOCKED)
            worst = status;
        }
      else if (r->deploy_error != NULL)
        {
          failed++;
          if (worst == GCERT_EXIT_OK)
            worst = GCERT_EXIT_FAILURE;
        }
      else
        succeeded++;
    }
  if (failed == 0)
    return GCERT_EXIT_OK;
  if (succeeded > 0)
    return GCERT_EXIT_PARTIAL;
  return worst == GCERT_EXIT_OK ? GCERT_EXIT_FAILURE : worst;
}
