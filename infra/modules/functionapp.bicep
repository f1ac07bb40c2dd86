// The Function App on Flex Consumption (FC1), running as the user-assigned identity. The runtime is
// set in functionAppConfig (Flex rejects FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and
// WEBSITE_RUN_FROM_PACKAGE), the package comes from a blob container read with the identity.

@description('Function App name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags applied to the plan and the app.')
param tags object

@description('azd service name: azd finds the app by the azd-service-name tag.')
param serviceName string

@description('Resource ID of the user-assigned identity.')
param identityId string

@description('Blob endpoint of the app storage account.')
param storageBlobEndpoint string

@description('Container the deployment package is uploaded to.')
param deploymentContainerName string

@description('Node.js major version.')
@allowed([
  '20'
  '22'
])
param nodeVersion string

@description('Upper limit of instances the plan scales out to.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int

@description('Memory of one instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int

@description('App settings (names and plain values; no secrets).')
param appSettings object

@description('App settings that are Key Vault references, merged over appSettings.')
param keyVaultReferenceSettings object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    // Key Vault references resolve with the user-assigned identity, not a system identity.
    keyVaultReferenceIdentity: identityId
    siteConfig: {
      minTlsVersion: '1.2'
      appSettings: [
        for setting in items(union(appSettings, keyVaultReferenceSettings)): {
          name: setting.key
          value: setting.value
        }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'node'
        version: nodeVersion
      }
    }
  }
}

// No publishing with basic (user name + password) credentials: azd and func deploy with Entra ID.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('Function App name.')
output name string = app.name

@description('Default host name of the app.')
output defaultHostName string = app.properties.defaultHostName
