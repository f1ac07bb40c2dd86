/**
 * Every setting the app and the CLI read: the single list that the README's configuration reference,
 * the Bicep template and the code are checked against (tests in test/config and test/infra).
 *
 * `scope`: `app` settings are provided by infra/ to the Function App; `local` ones are for local
 * development or the CLI only and must stay out of the template (plain secrets, local folders).
 */
export interface SettingSpec {
  name: string;
  default?: string;
  /** `alt`: read by the app but not set by the template (an alternative form of another setting). */
  scope: 'app' | 'local' | 'alt';
  description: string;
  example?: string;
}

export const SETTINGS: readonly SettingSpec[] = [
  // Streaming (Event Hub trigger)
  { name: 'EVENTHUB_NAME', scope: 'app', default: 'defender-export', description: 'Event hub the Defender streaming export writes to (the trigger reads %EVENTHUB_NAME%).' },
  { name: 'EVENTHUB_CONSUMER_GROUP', scope: 'app', default: 'defender-forwarder', description: 'Consumer group of the trigger (use $Default on the Basic tier).' },
  { name: 'EventHubConnection__fullyQualifiedNamespace', scope: 'app', description: 'Event Hubs namespace host for the identity-based trigger connection.', example: 'contoso-ns.servicebus.windows.net' },
  { name: 'EventHubConnection__credential', scope: 'app', default: 'managedidentity', description: 'Credential kind of the trigger connection.' },
  { name: 'EventHubConnection__clientId', scope: 'app', description: 'Client id of the user-assigned identity the trigger connects with.' },
  { name: 'INCLUDE_ORIGINAL', scope: 'app', default: 'false', description: 'Add the original record as event.original to normalized events.' },
  { name: 'STREAMING_WORKERS', scope: 'app', default: 'auto', description: 'Worker threads for the streaming path: auto (one per core when there are 2 or more), 0 (in-process) or 1-64. Each runs the whole pipeline with its own connections; the stdout destination always runs in-process.' },
  // Delivery
  { name: 'DESTINATION', scope: 'app', default: 'stdout', description: 'Where events go: comma-separated URLs (syslog+udp|tcp|tls://host:port, https://..., splunk+https://..., elastic+https://host/index, stdout). Required in the Function App.', example: 'syslog+tls://siem.contoso.com:6514' },
  { name: 'OUTPUT_FORMAT', scope: 'app', default: 'json', description: 'Payload format: json, raw, fortisiem, cef or leef.' },
  { name: 'SYSLOG_FORMAT', scope: 'app', default: 'rfc5424', description: 'Syslog header: rfc5424 or rfc3164.' },
  { name: 'SYSLOG_FRAMING', scope: 'app', description: 'TCP/TLS framing: octet-counting or lf (default lf for syslog+tcp, octet-counting for syslog+tls).' },
  { name: 'SYSLOG_APP_NAME', scope: 'app', default: 'defender-forwarder', description: 'Syslog APP-NAME / TAG.' },
  { name: 'SYSLOG_HOSTNAME', scope: 'app', description: 'Syslog HOSTNAME field (default: the machine host name).' },
  { name: 'SYSLOG_FACILITY', scope: 'app', default: '16', description: 'Syslog facility number 0-23 (16 = local0).' },
  { name: 'SYSLOG_UDP_MAX_BYTES', scope: 'app', default: '1472', description: 'Largest UDP datagram; longer messages are truncated with a marker.' },
  { name: 'DESTINATION_CA_FILE', scope: 'app', description: 'PEM file of a private CA trusted for syslog+tls and https destinations.' },
  { name: 'DESTINATION_TLS_INSECURE', scope: 'app', default: 'false', description: 'Skip TLS server verification (logs a warning at every start; never use in production).' },
  { name: 'DESTINATION_CLIENT_CERT_SECRET_NAME', scope: 'app', description: 'Key Vault secret holding a PEM client certificate and key for mutual TLS.' },
  { name: 'DESTINATION_TOKEN_SECRET_NAME', scope: 'app', description: 'Key Vault secret holding the HTTP collector token (Bearer, Splunk HEC token, or user:password for basic auth).' },
  { name: 'DESTINATION_TOKEN', scope: 'local', description: 'Collector token in plain text, for local development only.' },
  { name: 'DESTINATION_AUTH', scope: 'app', default: 'bearer', description: 'How the token is sent to a generic HTTP collector: bearer, basic or header:<Name>.' },
  { name: 'DESTINATION_HEADERS', scope: 'app', description: 'Extra HTTP headers as a JSON object.' },
  { name: 'HTTP_BODY_FORMAT', scope: 'app', default: 'ndjson', description: 'Generic HTTP body: ndjson or json-array.' },
  { name: 'HTTP_COMPRESSION', scope: 'app', default: 'gzip', description: 'HTTP body compression: gzip or none.' },
  { name: 'SPLUNK_INDEX', scope: 'app', description: 'Splunk index for HEC events (default: the token default index).' },
  { name: 'DELIVERY_BATCH_MAX_EVENTS', scope: 'app', default: '500', description: 'Most events in one HTTP request or syslog write batch.' },
  { name: 'DELIVERY_BATCH_MAX_BYTES', scope: 'app', default: '1048576', description: 'Most bytes (before compression) in one HTTP request.' },
  { name: 'DELIVERY_CONCURRENCY', scope: 'app', default: '4', description: 'Requests in flight per destination.' },
  { name: 'DELIVERY_TIMEOUT_SECONDS', scope: 'app', default: '30', description: 'Timeout of one request or connection attempt.' },
  { name: 'DELIVERY_RETRY_BUDGET_SECONDS', scope: 'app', default: '120', description: 'Total time retries may take before events are dead-lettered.' },
  // Dead letters
  { name: 'AzureWebJobsStorage', scope: 'local', description: 'Storage connection string (local development); the deployed app uses AzureWebJobsStorage__* identity settings.' },
  { name: 'AzureWebJobsStorage__accountName', scope: 'app', description: 'Storage account of the app (identity-based).' },
  { name: 'AzureWebJobsStorage__credential', scope: 'app', default: 'managedidentity', description: 'Credential kind for storage.' },
  { name: 'AzureWebJobsStorage__clientId', scope: 'app', description: 'Client id of the user-assigned identity used for storage.' },
  { name: 'DEADLETTER_CONTAINER', scope: 'app', default: 'deadletter', description: 'Blob container of the dead-letter store.' },
  { name: 'DEADLETTER_DIR', scope: 'local', default: './deadletter', description: 'Local dead-letter folder, used when no storage is configured (CLI).' },
  { name: 'DEADLETTER_REDRIVE_BUDGET_SECONDS', scope: 'app', default: '600', description: 'A redrive run starts no new dead-letter unit after this long.' },
  { name: 'AzureWebJobsStorage__blobServiceUri', scope: 'alt', description: 'Blob endpoint of the storage account (identity-based, instead of __accountName).' },
  { name: 'AzureWebJobsStorage__queueServiceUri', scope: 'alt', description: 'Queue endpoint of the storage account (identity-based).' },
  { name: 'AzureWebJobsStorage__tableServiceUri', scope: 'alt', description: 'Table endpoint of the storage account (identity-based).' },
  { name: 'DEADLETTER_REDRIVE_SCHEDULE', scope: 'app', default: '0 */15 * * * *', description: 'NCRONTAB schedule of the dead-letter redrive.' },
  // Graph polling
  { name: 'GRAPH_TENANT_ID', scope: 'app', description: 'Entra tenant id to poll (single-tenant setup).' },
  { name: 'GRAPH_CLIENT_ID', scope: 'app', description: 'Application (client) id of the app registration.' },
  { name: 'GRAPH_CLIENT_SECRET', scope: 'local', description: 'Client secret in plain text, for local development only.' },
  { name: 'KEY_VAULT_URL', scope: 'app', description: 'Key Vault holding the Graph client secret/certificate and collector tokens.', example: 'https://contoso-kv.vault.azure.net' },
  { name: 'GRAPH_CLIENT_SECRET_NAME', scope: 'app', default: 'graph-client-secret', description: 'Key Vault secret name of the Graph client secret.' },
  { name: 'GRAPH_CLIENT_CERTIFICATE_NAME', scope: 'app', description: 'Key Vault certificate name to authenticate with instead of a secret.' },
  { name: 'GRAPH_TENANTS', scope: 'app', description: 'Many tenants: JSON array of {tenantId, clientId, secretName}.' },
  { name: 'GRAPH_INITIAL_LOOKBACK', scope: 'app', default: 'P1D', description: 'First-run lookback as an ISO 8601 duration.' },
  { name: 'GRAPH_BASE_URL', scope: 'app', default: 'https://graph.microsoft.com', description: 'Graph endpoint of the cloud.' },
  { name: 'GRAPH_AUTHORITY_HOST', scope: 'app', default: 'https://login.microsoftonline.com', description: 'Entra login endpoint of the cloud.' },
  { name: 'GRAPH_INCIDENTS_SCHEDULE', scope: 'app', default: '0 */5 * * * *', description: 'NCRONTAB schedule of incident polling.' },
  { name: 'GRAPH_ALERTS_SCHEDULE', scope: 'app', default: '0 */5 * * * *', description: 'NCRONTAB schedule of alerts_v2 polling.' },
  { name: 'GRAPH_ALERTS_PAGE_SIZE', scope: 'app', default: '500', description: 'alerts_v2 page size ($top, at most 1000).' },
  { name: 'GRAPH_EXPAND_ALERTS', scope: 'app', default: 'false', description: 'Request incidents with $expand=alerts.' },
  { name: 'GRAPH_CURSOR_TABLE', scope: 'app', default: 'graphcursors', description: 'Table Storage table of poll cursors.' },
  { name: 'GRAPH_POLL_QUEUE', scope: 'app', default: 'graph-poll', description: 'Storage queue of per-tenant poll jobs.' },
  { name: 'GRAPH_POLL_BUDGET_SECONDS', scope: 'app', default: '480', description: 'Time one poll may page for before it stops and resumes next run.' },
  { name: 'EVENTHUB_SEND_CONNECTION_STRING', scope: 'local', description: 'Event Hubs connection string for send-samples from a workstation without Entra sign-in.' },
  { name: 'AZURE_CLIENT_ID', scope: 'app', description: 'Client id of the user-assigned managed identity (DefaultAzureCredential).' },
];
