#!/usr/bin/env bash
# Installs the Bicep CLI from NuGet (Azure.Bicep.CommandLine.<rid>) and prints the binary path.
#
# Why NuGet: the usual installers (az bicep install, the GitHub release download) need internet hosts
# that CI and this machine kind cannot reach, while the NuGet feed is available through dotnet.
# Idempotent: when the binary is already in the NuGet cache it is only made executable and printed.
#
# Environment:
#   BICEP_VERSION   package version (default 0.49.2)
#   BICEP_RID       runtime id suffix of the package (default linux-x64)
#   NUGET_PACKAGES  NuGet cache folder (default ~/.nuget/packages, as dotnet uses)
#
# Only the binary path goes to stdout (so CI can do BICEP_BIN="$(scripts/install-bicep.sh)");
# progress goes to stderr.
set -euo pipefail

version="${BICEP_VERSION:-0.49.2}"
rid="${BICEP_RID:-linux-x64}"
package="Azure.Bicep.CommandLine.${rid}"
cache="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
# NuGet stores packages under the lower-cased id.
bin="${cache}/$(echo "${package}" | tr '[:upper:]' '[:lower:]')/${version}/tools/bicep"

if [[ ! -f "${bin}" ]]; then
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "install-bicep: dotnet is required to restore ${package} from NuGet" >&2
    exit 1
  fi
  work="$(mktemp -d)"
  trap 'rm -rf "${work}"' EXIT
  # A throwaway project whose only job is to make NuGet download the package (PackageDownload
  # does not need a matching target framework asset, unlike PackageReference).
  cat >"${work}/restore.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>netstandard2.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="${package}" Version="[${version}]" />
  </ItemGroup>
</Project>
XML
  echo "install-bicep: restoring ${package} ${version} into ${cache}" >&2
  DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 dotnet restore "${work}/restore.csproj" --packages "${cache}" >&2
fi

if [[ ! -f "${bin}" ]]; then
  echo "install-bicep: restore finished but ${bin} is missing" >&2
  exit 1
fi
chmod +x "${bin}"
"${bin}" --version >&2
echo "${bin}"
