// defender-forwarder: everything `azd up` provisions. Subscription scope so azd can create the
// resource group; an existing Event Hubs namespace may live in another resource group.
//
// Every app setting the deployed app reads (shared/config/catalog.ts, scope "app") is set here with
// its default; settings for local development only (plain secrets, local folders) are never set.
// Secrets are kept in Key Vault: the template holds their names, never their values.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// Environment
// ---------------------------------------------------------------------------------------------

@description('azd environment name: part of every resource name.')
@minLength(1)
@maxLength(64)
param environmentName string

@description('Azure region of all created resources.')
@minLength(1)
param location string

@description('Resource group to create or update; default rg-<environmentName>.')
param resourceGroupName string = ''

@description('Object ID of the operator running azd (AZURE_PRINCIPAL_ID): gets the data roles the CLI needs. Empty to grant none.')
param principalId string = ''

@description('Principal type of principalId.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param principalType string = 'User'

// ---------------------------------------------------------------------------------------------
// Event Hubs
// ---------------------------------------------------------------------------------------------

@description('Resource ID of an existing Event Hubs namespace to use instead of creating one (the hub, consumer group and listen rule are created in it).')
param existingEventHubNamespaceId string = ''

@description('Tier of the namespace (also give the tier of an existing one). Basic: only $Default consumer group, 256 KB messages, 1 day retention.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param eventHubNamespaceSku string = 'Standard'

@description('Throughput units (Basic/Standard) or processing units (Premium) of a created namespace.')
@minValue(1)
@maxValue(40)
param eventHubNamespaceCapacity int = 1

@description('Turn off SAS authentication on a created namespace (breaks collectors that use the listen rule).')
param eventHubNamespaceDisableLocalAuth bool = false

@description('Event hub the Defender export writes to (EVENTHUB_NAME). Type the same name in the Defender portal.')
@minLength(1)
@maxLength(256)
param eventHubName string = 'defender-export'

@description('Partitions of the hub: the most instances that read it in parallel. Cannot be lowered later on Standard.')
@minValue(1)
@maxValue(32)
param eventHubPartitionCount int = 4

@description('Days events stay in the hub (Basic: 1, Standard: up to 7).')
@minValue(1)
@maxValue(7)
param eventHubMessageRetentionInDays int = 1

@description('Consumer group of the forwarder (EVENTHUB_CONSUMER_GROUP); $Default is used on Basic.')
@minLength(1)
param eventHubConsumerGroupName string = 'defender-forwarder'

@description('Name of the hub-level Listen-only SAS rule for collectors that need a connection string.')
param eventHubListenRuleName string = 'collector-listen'

@description('How the trigger connects: managedIdentity (default) or connectionString (the listen rule\'s connection string, kept in Key Vault).')
@allowed([
  'managedIdentity'
  'connectionString'
])
param eventHubConnectionMode string = 'managedIdentity'

@description('Key Vault secret that holds the listen connection string in connectionString mode.')
param eventHubConnectionSecretName string = 'eventhub-listen-connection-string'

// ---------------------------------------------------------------------------------------------
// Function App, storage, Key Vault, monitoring
// ---------------------------------------------------------------------------------------------

@description('Node.js major version of the Function App (20 reached end of life on 2026-04-30; the code runs on both).')
@allowed([
  '20'
  '22'
])
param nodeVersion string = '22'

@description('Most instances the Flex Consumption plan scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory of one instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Key Vault purge protection (recommended; cannot be turned off again).')
param keyVaultEnablePurgeProtection bool = true

@description('Days deleted Key Vault secrets stay recoverable.')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

@description('Days deleted blobs (dead letters) stay recoverable.')
@minValue(1)
@maxValue(365)
param storageDeleteRetentionDays int = 7

@description('Days Log Analytics keeps data.')
@minValue(30)
@maxValue(730)
param logAnalyticsRetentionInDays int = 30

// ---------------------------------------------------------------------------------------------
// App settings (names in capitals are the setting each parameter fills; see README.md)
// ---------------------------------------------------------------------------------------------

@description('INCLUDE_ORIGINAL: add the original record as event.original.')
@allowed([
  'true'
  'false'
])
param includeOriginal string = 'false'

@description('STREAMING_WORKERS: worker threads for the streaming path (auto = one per core when there are 2 or more; 0 = in-process).')
param streamingWorkers string = 'auto'

@description('DESTINATION: comma-separated destination URLs (syslog+udp|tcp|tls://host:port, https://..., splunk+https://..., elastic+https://host/index, stdout).')
@minLength(1)
param destination string = 'stdout'

@description('OUTPUT_FORMAT: json, raw, fortisiem, cef or leef.')
@allowed([
  'json'
  'raw'
  'fortisiem'
  'cef'
  'leef'
])
param outputFormat string = 'json'

@description('SYSLOG_FORMAT: rfc5424 or rfc3164.')
@allowed([
  'rfc5424'
  'rfc3164'
])
param syslogFormat string = 'rfc5424'

@description('SYSLOG_FRAMING: octet-counting or lf; empty = lf for syslog+tcp, octet-counting for syslog+tls.')
@allowed([
  ''
  'octet-counting'
  'lf'
])
param syslogFraming string = ''

@description('SYSLOG_APP_NAME: syslog APP-NAME / TAG.')
param syslogAppName string = 'defender-forwarder'

@description('SYSLOG_HOSTNAME: syslog HOSTNAME; empty = the machine host name.')
param syslogHostname string = ''

@description('SYSLOG_FACILITY: facility number 0-23.')
param syslogFacility string = '16'

@description('SYSLOG_UDP_MAX_BYTES: largest UDP datagram.')
param syslogUdpMaxBytes string = '1472'

@description('DESTINATION_CA_FILE: PEM file of a private CA (a path inside the deployed package).')
param destinationCaFile string = ''

@description('DESTINATION_TLS_INSECURE: skip TLS server verification (never in production).')
@allowed([
  'true'
  'false'
])
param destinationTlsInsecure string = 'false'

@description('DESTINATION_CLIENT_CERT_SECRET_NAME: Key Vault secret with a PEM client certificate and key for mutual TLS.')
param destinationClientCertSecretName string = ''

@description('DESTINATION_TOKEN_SECRET_NAME: Key Vault secret with the HTTP collector token.')
param destinationTokenSecretName string = ''

@description('DESTINATION_AUTH: bearer, basic or header:<Name>.')
param destinationAuth string = 'bearer'

@description('DESTINATION_HEADERS: extra HTTP headers as a JSON object (no secrets: use DESTINATION_TOKEN_SECRET_NAME).')
param destinationHeaders string = ''

@description('HTTP_BODY_FORMAT: ndjson or json-array.')
@allowed([
  'ndjson'
  'json-array'
])
param httpBodyFormat string = 'ndjson'

@description('HTTP_COMPRESSION: gzip or none.')
@allowed([
  'gzip'
  'none'
])
param httpCompression string = 'gzip'

@description('SPLUNK_INDEX: Splunk index; empty = the token default index.')
param splunkIndex string = ''

@description('DELIVERY_BATCH_MAX_EVENTS: most events in one request or write batch.')
param deliveryBatchMaxEvents string = '500'

@description('DELIVERY_BATCH_MAX_BYTES: most bytes before compression in one HTTP request.')
param deliveryBatchMaxBytes string = '1048576'

@description('DELIVERY_CONCURRENCY: requests in flight per destination.')
param deliveryConcurrency string = '4'

@description('DELIVERY_TIMEOUT_SECONDS: timeout of one request or connection attempt.')
param deliveryTimeoutSeconds string = '30'

@description('DELIVERY_RETRY_BUDGET_SECONDS: total retry time before events are dead-lettered.')
param deliveryRetryBudgetSeconds string = '120'

@description('DEADLETTER_REDRIVE_BUDGET_SECONDS: a redrive run starts no new dead-letter unit after this long.')
param deadletterRedriveBudgetSeconds string = '600'

@description('DEADLETTER_CONTAINER: blob container of the dead-letter store.')
@minLength(3)
@maxLength(63)
param deadletterContainer string = 'deadletter'

@description('DEADLETTER_REDRIVE_SCHEDULE: NCRONTAB schedule of the dead-letter redrive (UTC).')
param deadletterRedriveSchedule string = '0 */15 * * * *'

@description('GRAPH_TENANT_ID: Entra tenant to poll; empty = no single-tenant Graph polling.')
param graphTenantId string = ''

@description('GRAPH_CLIENT_ID: application (client) ID of the app registration.')
param graphClientId string = ''

@description('GRAPH_CLIENT_SECRET_NAME: Key Vault secret name of the Graph client secret.')
param graphClientSecretName string = 'graph-client-secret'

@description('GRAPH_CLIENT_CERTIFICATE_NAME: Key Vault certificate to authenticate with instead of a secret.')
param graphClientCertificateName string = ''

@description('GRAPH_TENANTS: many tenants, JSON array of {tenantId, clientId, secretName}.')
param graphTenants string = ''

@description('GRAPH_INITIAL_LOOKBACK: first-run lookback (ISO 8601 duration).')
param graphInitialLookback string = 'P1D'

@description('GRAPH_BASE_URL: Graph endpoint of the cloud.')
param graphBaseUrl string = 'https://graph.microsoft.com'

@description('GRAPH_AUTHORITY_HOST: Entra login endpoint of the cloud.')
// The app's own default, kept literal so template and code agree; sovereign clouds set this parameter
// (the Defender tenant's cloud is not necessarily the cloud of this subscription).
#disable-next-line no-hardcoded-env-urls
param graphAuthorityHost string = 'https://login.microsoftonline.com'

@description('GRAPH_INCIDENTS_SCHEDULE: NCRONTAB schedule of incident polling (UTC).')
param graphIncidentsSchedule string = '0 */5 * * * *'

@description('GRAPH_ALERTS_SCHEDULE: NCRONTAB schedule of alerts_v2 polling (UTC).')
param graphAlertsSchedule string = '0 */5 * * * *'

@description('GRAPH_ALERTS_PAGE_SIZE: alerts_v2 page size, at most 1000.')
param graphAlertsPageSize string = '500'

@description('GRAPH_EXPAND_ALERTS: request incidents with $expand=alerts.')
@allowed([
  'true'
  'false'
])
param graphExpandAlerts string = 'false'

@description('GRAPH_CURSOR_TABLE: table of poll cursors.')
@minLength(3)
@maxLength(63)
param graphCursorTable string = 'graphcursors'

@description('GRAPH_POLL_QUEUE: queue of per-tenant poll jobs.')
@minLength(3)
@maxLength(63)
param graphPollQueue string = 'graph-poll'

@description('GRAPH_POLL_BUDGET_SECONDS: time one poll may page for before it resumes next run.')
param graphPollBudgetSeconds string = '480'

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var tags = {
  'azd-env-name': environmentName
  application: 'defender-forwarder'
}
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var useExistingNamespace = !empty(existingEventHubNamespaceId)
// A namespace resource ID: /subscriptions/<sub>/resourceGroups/<rg>/providers/Microsoft.EventHub/namespaces/<name>
var existingNamespaceParts = split(existingEventHubNamespaceId, '/')
var eventHubSubscriptionId = useExistingNamespace ? existingNamespaceParts[2] : subscription().subscriptionId
var eventHubResourceGroupName = useExistingNamespace ? existingNamespaceParts[4] : rg.name
var eventHubNamespaceName = useExistingNamespace ? existingNamespaceParts[8] : 'evhns-${resourceToken}'
// The Basic tier has no consumer groups besides $Default.
var eventHubConsumerGroup = eventHubNamespaceSku == 'Basic' ? '$Default' : eventHubConsumerGroupName
var functionAppName = 'func-${resourceToken}'
var deploymentContainerName = 'app-package-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: empty(resourceGroupName) ? 'rg-${environmentName}' : resourceGroupName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    applicationInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
    retentionInDays: logAnalyticsRetentionInDays
    appPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'st${resourceToken}'
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
    deadletterContainerName: deadletterContainer
    cursorTableName: graphCursorTable
    pollQueueName: graphPollQueue
    deleteRetentionDays: storageDeleteRetentionDays
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'keyvault'
  scope: rg
  params: {
    name: 'kv-${resourceToken}'
    location: location
    tags: tags
    enablePurgeProtection: keyVaultEnablePurgeProtection
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

module eventHubs 'modules/eventhubs.bicep' = {
  name: 'eventhubs'
  scope: resourceGroup(eventHubSubscriptionId, eventHubResourceGroupName)
  params: {
    namespaceName: eventHubNamespaceName
    createNamespace: !useExistingNamespace
    location: location
    tags: tags
    sku: eventHubNamespaceSku
    capacity: eventHubNamespaceCapacity
    disableLocalAuth: eventHubNamespaceDisableLocalAuth
    eventHubName: eventHubName
    partitionCount: eventHubPartitionCount
    messageRetentionInDays: eventHubMessageRetentionInDays
    consumerGroupName: eventHubConsumerGroup
    listenRuleName: eventHubListenRuleName
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: principalId
    operatorPrincipalType: principalType
  }
}

module eventHubConnectionSecret 'modules/eventhub-connection-secret.bicep' = if (eventHubConnectionMode == 'connectionString') {
  name: 'eventhub-connection-secret'
  scope: rg
  params: {
    keyVaultName: keyVault.outputs.name
    secretName: eventHubConnectionSecretName
    namespaceSubscriptionId: eventHubSubscriptionId
    namespaceResourceGroup: eventHubResourceGroupName
    namespaceName: eventHubNamespaceName
    eventHubName: eventHubs.outputs.eventHubName
    listenRuleName: eventHubListenRuleName
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-${resourceToken}'
    location: location
    tags: tags
    serviceName: 'forwarder'
    identityId: identity.outputs.id
    storageBlobEndpoint: storage.outputs.blobEndpoint
    deploymentContainerName: storage.outputs.deploymentContainerName
    nodeVersion: nodeVersion
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    appSettings: {
      // Functions host: storage and telemetry through the managed identity.
      AzureWebJobsStorage__accountName: storage.outputs.name
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identity.outputs.clientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: monitoring.outputs.connectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.outputs.clientId};Authorization=AAD'
      AZURE_CLIENT_ID: identity.outputs.clientId
      // Streaming trigger: %EVENTHUB_NAME%, %EVENTHUB_CONSUMER_GROUP%, connection prefix EventHubConnection.
      EVENTHUB_NAME: eventHubName
      EVENTHUB_CONSUMER_GROUP: eventHubConsumerGroup
      EventHubConnection__fullyQualifiedNamespace: eventHubs.outputs.fullyQualifiedNamespace
      EventHubConnection__credential: 'managedidentity'
      EventHubConnection__clientId: identity.outputs.clientId
      INCLUDE_ORIGINAL: includeOriginal
      STREAMING_WORKERS: streamingWorkers
      // Delivery
      DESTINATION: destination
      OUTPUT_FORMAT: outputFormat
      SYSLOG_FORMAT: syslogFormat
      SYSLOG_FRAMING: syslogFraming
      SYSLOG_APP_NAME: syslogAppName
      SYSLOG_HOSTNAME: syslogHostname
      SYSLOG_FACILITY: syslogFacility
      SYSLOG_UDP_MAX_BYTES: syslogUdpMaxBytes
      DESTINATION_CA_FILE: destinationCaFile
      DESTINATION_TLS_INSECURE: destinationTlsInsecure
      DESTINATION_CLIENT_CERT_SECRET_NAME: destinationClientCertSecretName
      DESTINATION_TOKEN_SECRET_NAME: destinationTokenSecretName
      DESTINATION_AUTH: destinationAuth
      DESTINATION_HEADERS: destinationHeaders
      HTTP_BODY_FORMAT: httpBodyFormat
      HTTP_COMPRESSION: httpCompression
      SPLUNK_INDEX: splunkIndex
      DELIVERY_BATCH_MAX_EVENTS: deliveryBatchMaxEvents
      DELIVERY_BATCH_MAX_BYTES: deliveryBatchMaxBytes
      DELIVERY_CONCURRENCY: deliveryConcurrency
      DELIVERY_TIMEOUT_SECONDS: deliveryTimeoutSeconds
      DELIVERY_RETRY_BUDGET_SECONDS: deliveryRetryBudgetSeconds
      // Dead letters
      DEADLETTER_CONTAINER: deadletterContainer
      DEADLETTER_REDRIVE_SCHEDULE: deadletterRedriveSchedule
      DEADLETTER_REDRIVE_BUDGET_SECONDS: deadletterRedriveBudgetSeconds
      // Graph polling
      GRAPH_TENANT_ID: graphTenantId
      GRAPH_CLIENT_ID: graphClientId
      KEY_VAULT_URL: keyVault.outputs.uri
      GRAPH_CLIENT_SECRET_NAME: graphClientSecretName
      GRAPH_CLIENT_CERTIFICATE_NAME: graphClientCertificateName
      GRAPH_TENANTS: graphTenants
      GRAPH_INITIAL_LOOKBACK: graphInitialLookback
      GRAPH_BASE_URL: graphBaseUrl
      GRAPH_AUTHORITY_HOST: graphAuthorityHost
      GRAPH_INCIDENTS_SCHEDULE: graphIncidentsSchedule
      GRAPH_ALERTS_SCHEDULE: graphAlertsSchedule
      GRAPH_ALERTS_PAGE_SIZE: graphAlertsPageSize
      GRAPH_EXPAND_ALERTS: graphExpandAlerts
      GRAPH_CURSOR_TABLE: graphCursorTable
      GRAPH_POLL_QUEUE: graphPollQueue
      GRAPH_POLL_BUDGET_SECONDS: graphPollBudgetSeconds
    }
    // A connection string wins over the EventHubConnection__* identity settings in the Functions host.
    keyVaultReferenceSettings: eventHubConnectionMode == 'connectionString'
      ? {
          EventHubConnection: '@Microsoft.KeyVault(VaultName=${keyVault.outputs.name};SecretName=${eventHubConnectionSecretName})'
        }
      : {}
  }
  dependsOn: [
    eventHubConnectionSecret
  ]
}

// Outputs land in the azd environment (.azure/<env>/.env) under the names the CLI reads, so
// `defender-forwarder check` and `send-samples` work from the operator's workstation as they are.

@description('Region of the deployment.')
output AZURE_LOCATION string = location

@description('Tenant of the deployment.')
output AZURE_TENANT_ID string = tenant().tenantId

@description('Resource group of the app.')
output AZURE_RESOURCE_GROUP string = rg.name

@description('Function App name (for func azure functionapp publish).')
output FUNCTION_APP_NAME string = functionApp.outputs.name

@description('Defender portal export form: "Event Hub resource ID" (the namespace).')
output EVENTHUB_NAMESPACE_RESOURCE_ID string = eventHubs.outputs.namespaceId

@description('Defender portal export form: "Event Hub name". Never leave it blank in the portal.')
output EVENTHUB_NAME string = eventHubs.outputs.eventHubName

@description('Consumer group the forwarder reads.')
output EVENTHUB_CONSUMER_GROUP string = eventHubs.outputs.consumerGroupName

@description('Event Hubs namespace host (send-samples and check use it with the operator\'s identity).')
output EventHubConnection__fullyQualifiedNamespace string = eventHubs.outputs.fullyQualifiedNamespace

@description('Resource ID of the Listen-only SAS rule for external collectors (fetch its keys with az when needed).')
output EVENTHUB_LISTEN_RULE_ID string = eventHubs.outputs.listenRuleId

@description('Storage account of the app (dead letters, cursors, poll queue).')
output AzureWebJobsStorage__accountName string = storage.outputs.name

@description('Dead-letter container.')
output DEADLETTER_CONTAINER string = storage.outputs.deadletterContainerName

@description('Graph cursor table.')
output GRAPH_CURSOR_TABLE string = storage.outputs.cursorTableName

@description('Graph poll queue.')
output GRAPH_POLL_QUEUE string = storage.outputs.pollQueueName

@description('Key Vault name (az keyvault secret set --vault-name).')
output KEY_VAULT_NAME string = keyVault.outputs.name

@description('Key Vault URI.')
output KEY_VAULT_URL string = keyVault.outputs.uri
