// The user-assigned identity the Function App runs as: created before the app so role assignments
// can be granted to it up front and the app never needs a key or a system identity.

@description('Name of the user-assigned managed identity.')
param name string

@description('Azure region.')
param location string

@description('Tags applied to the identity.')
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2024-11-30' = {
  name: name
  location: location
  tags: tags
}

@description('Resource ID of the identity.')
output id string = identity.id

@description('Client (application) ID of the identity, for AZURE_CLIENT_ID and the __clientId settings.')
output clientId string = identity.properties.clientId

@description('Object (principal) ID of the identity, for role assignments.')
output principalId string = identity.properties.principalId
