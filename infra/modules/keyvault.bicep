// Key Vault in RBAC mode for the secrets the app reads at run time: the Graph client secret
// (GRAPH_CLIENT_SECRET_NAME), collector tokens (DESTINATION_TOKEN_SECRET_NAME), client certificates and,
// when chosen, the Event Hubs listen connection string. The template creates no secret values
// except that connection string, which it copies from the listen rule without ever outputting it.

@description('Key Vault name (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to the vault.')
param tags object

@description('Purge protection: deleted secrets cannot be purged before the retention ends. It cannot be turned off again once on.')
param enablePurgeProtection bool

@description('Days deleted secrets stay recoverable.')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('Principal ID of the app identity (reads secrets).')
param appPrincipalId string

@description('Principal ID of the operator (stores the Graph secret); empty to skip.')
param operatorPrincipalId string

@description('Principal type of the operator.')
@allowed([
  'User'
  'Group'
  'ServicePrincipal'
])
param operatorPrincipalType string

var roles = loadJsonContent('../roles.json')

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The API accepts only true or an absent property: false is rejected once the vault exists.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource appSecretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appPrincipalId, roles.KeyVaultSecretsUser)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.KeyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource operatorSecretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(vault.id, operatorPrincipalId, roles.KeyVaultSecretsOfficer)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.KeyVaultSecretsOfficer)
    principalId: operatorPrincipalId
    principalType: operatorPrincipalType
  }
}

@description('Key Vault name.')
output name string = vault.name

@description('Key Vault URI (KEY_VAULT_URL).')
output uri string = vault.properties.vaultUri
