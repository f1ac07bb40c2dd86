// Only when the app uses a connection string instead of its identity: copies the Listen-only rule's
// connection string into Key Vault at deployment time. The value never appears in the template, the
// parameters or any output; the app reads it through a Key Vault reference.

@description('Key Vault that receives the secret (in this resource group).')
param keyVaultName string

@description('Secret name the EventHubConnection app setting refers to.')
param secretName string

@description('Subscription ID of the Event Hubs namespace.')
param namespaceSubscriptionId string

@description('Resource group of the Event Hubs namespace.')
param namespaceResourceGroup string

@description('Event Hubs namespace name.')
param namespaceName string

@description('Event hub name.')
param eventHubName string

@description('Name of the Listen-only SAS rule on the hub.')
param listenRuleName string

resource namespace 'Microsoft.EventHub/namespaces@2024-01-01' existing = {
  name: namespaceName
  scope: resourceGroup(namespaceSubscriptionId, namespaceResourceGroup)
}

resource hub 'Microsoft.EventHub/namespaces/eventhubs@2024-01-01' existing = {
  parent: namespace
  name: eventHubName
}

resource listenRule 'Microsoft.EventHub/namespaces/eventhubs/authorizationRules@2024-01-01' existing = {
  parent: hub
  name: listenRuleName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource secret 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = {
  parent: vault
  name: secretName
  properties: {
    contentType: 'Event Hubs connection string (Listen only)'
    value: listenRule.listKeys().primaryConnectionString
  }
}

@description('Name of the secret (no value).')
output secretName string = secret.name
