// The Event Hubs side: the namespace (new, or an existing one), the hub the Defender export writes
// to, the forwarder's consumer group, a Listen-only SAS rule for collectors that need a connection
// string, and data-plane roles. Deployed into the namespace's resource group.

@description('Namespace name.')
param namespaceName string

@description('True to create the namespace; false to use an existing one in this resource group.')
param createNamespace bool

@description('Azure region (used only when the namespace is created).')
param location string

@description('Tags applied to created resources.')
param tags object

@description('Namespace tier. Basic allows only the $Default consumer group, 256 KB messages and 1 day retention.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param sku string

@description('Throughput units (Basic/Standard) or processing units (Premium).')
@minValue(1)
@maxValue(40)
param capacity int

@description('Turn off SAS (local) authentication on a created namespace. Leave false while any collector or export needs a SAS rule.')
param disableLocalAuth bool

@description('Event hub name (EVENTHUB_NAME).')
param eventHubName string

@description('Partitions of the hub: the most Function App instances that can read it at once.')
@minValue(1)
@maxValue(32)
param partitionCount int

@description('Days events stay in the hub (Basic: 1).')
@minValue(1)
@maxValue(7)
param messageRetentionInDays int

@description('Consumer group of the forwarder; $Default (the only one on Basic) is not created, it always exists.')
param consumerGroupName string

@description('Name of the hub-level Listen-only SAS rule.')
param listenRuleName string

@description('Principal ID of the app identity (receives events).')
param appPrincipalId string

@description('Principal ID of the operator (sends sample events); empty to skip.')
param operatorPrincipalId string

@description('Principal type of the operator.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string

var roles = loadJsonContent('../roles.json')

var createConsumerGroup = consumerGroupName != '$Default'

resource newNamespace 'Microsoft.EventHub/namespaces@2024-01-01' = if (createNamespace) {
  name: namespaceName
  location: location
  tags: tags
  sku: {
    name: sku
    tier: sku
    capacity: capacity
  }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: disableLocalAuth
    publicNetworkAccess: 'Enabled'
  }
}

// One symbol for children whether the namespace was just created or already existed.
resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: namespaceName
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' = {
  parent: namespace
  name: eventHubName
  properties: {
    partitionCount: partitionCount
    messageRetentionInDays: messageRetentionInDays
  }
  dependsOn: [
    newNamespace
  ]
}

resource consumerGroup 'Microsoft.EventHub/namespaces/eventhubs/consumergroups@2024-01-01' = if (createConsumerGroup) {
  parent: hub
  name: consumerGroupName
  properties: {
    userMetadata: 'defender-forwarder Function App'
  }
}

// Least privilege for collectors that read with a connection string: Listen only (the vendor guides
// say Manage, which would also allow sending, deleting the hub and changing its rules).
resource listenRule 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules@2024-01-01' = {
  parent: hub
  name: listenRuleName
  properties: {
    rights: [
      'Listen'
    ]
  }
}

resource appReceiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(hub.id, appPrincipalId, roles.EventHubsDataReceiver)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.EventHubsDataReceiver)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource operatorSender 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(hub.id, operatorPrincipalId, roles.EventHubsDataSender)
  scope: hub
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.EventHubsDataSender)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

@description('Namespace resource ID: the "Event Hub resource ID" of the Defender export form.')
output namespaceId string = namespace.id

@description('Fully qualified namespace host (EventHubConnection__fullyQualifiedNamespace).')
// serviceBusEndpoint is "https://<ns>.servicebus.<cloud suffix>:443/": taking its host keeps the
// value right in sovereign clouds, where the suffix differs.
output fullyQualifiedNamespace string = split(split(split(namespace.properties.serviceBusEndpoint, '://')[1], '/')[0], ':')[0]

@description('Event hub name: the "Event Hub name" of the Defender export form.')
output eventHubName string = hub.name

@description('Consumer group the forwarder reads (EVENTHUB_CONSUMER_GROUP).')
output consumerGroupName string = createConsumerGroup ? consumerGroup.name : '$Default'

@description('Resource ID of the Listen-only SAS rule (keys are fetched by whoever needs them, never output).')
output listenRuleId string = listenRule.id
