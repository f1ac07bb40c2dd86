// The app's storage account: Functions host state (Event Hubs checkpoints, timer leases), the Flex
// deployment package, the dead-letter container, the Graph cursor table and the poll fan-out queue.
// Shared-key access is off: the app and the operator use Entra ID roles only.

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the account.')
param tags object

@description('Blob container the Flex Consumption deployment package is uploaded to.')
param deploymentContainerName string

@description('Blob container of the dead-letter store (DEADLETTER_CONTAINER).')
param deadletterContainerName string

@description('Table of the Graph poll cursors (GRAPH_CURSOR_TABLE).')
param cursorTableName string

@description('Queue of the per-tenant Graph poll jobs (GRAPH_POLL_QUEUE).')
param pollQueueName string

@description('Days deleted blobs and containers stay recoverable (dead letters are the data of last resort).')
@minValue(1)
@maxValue(365)
param deleteRetentionDays int

@description('Principal ID of the app identity.')
param appPrincipalId string

@description('Principal ID of the operator (azd principalId); empty to skip the operator roles.')
param operatorPrincipalId string

@description('Principal type of the operator.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string

var roles = loadJsonContent('../roles.json')

// The Functions host needs Blob Data Owner (checkpoints and leases); the app code also uses the
// cursor table and the poll queue.
var appRoles = [
  roles.StorageBlobDataOwner
  roles.StorageTableDataContributor
  roles.StorageQueueDataContributor
]

// What `defender-forwarder check`, `poll` and `deadletter` need from a workstation.
var operatorRoles = [
  roles.StorageBlobDataContributor
  roles.StorageTableDataContributor
  roles.StorageQueueDataContributor
]

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
  properties: {
    deleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: deleteRetentionDays
    }
  }
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource deadletterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deadletterContainerName
  properties: {
    publicAccess: 'None'
  }
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource cursorTable 'Microsoft.Storage/storageAccounts/tableServices/tables@2025-01-01' = {
  parent: tableService
  name: cursorTableName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource pollQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2025-01-01' = {
  parent: queueService
  name: pollQueueName
}

resource appRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in appRoles: {
    name: guid(storage.id, appPrincipalId, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: appPrincipalId
      principalType: 'ServicePrincipal'
    }
  }
]

resource operatorRoleAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in operatorRoles: if (!empty(operatorPrincipalId)) {
    name: guid(storage.id, operatorPrincipalId, role)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role)
      principalId: operatorPrincipalId
      principalType: operatorPrincipalType
    }
  }
]

@description('Storage account name (AzureWebJobsStorage__accountName).')
output name string = storage.name

@description('Blob endpoint, used for the Flex deployment container URL.')
output blobEndpoint string = storage.properties.primaryEndpoints.blob

@description('Name of the deployment package container.')
output deploymentContainerName string = deploymentContainer.name

@description('Name of the dead-letter container.')
output deadletterContainerName string = deadletterContainer.name

@description('Name of the Graph cursor table.')
output cursorTableName string = cursorTable.name

@description('Name of the Graph poll queue.')
output pollQueueName string = pollQueue.name
