import { fetchCluster, fetchSystemInfo } from '$lib/services/cluster-service';
import { fetchNamespaces } from '$lib/services/namespaces-service';
import { fetchSettings } from '$lib/services/settings-service';

/** What every page reads from `$page.data`: settings, cluster and system information. */
export async function load({ fetch }) {
  const settings = await fetchSettings(fetch);
  // Fills the namespaces store for the namespace picker; the pages do not wait for it.
  fetchNamespaces(settings, fetch);
  const [cluster, systemInfo] = await Promise.all([fetchCluster(settings, fetch), fetchSystemInfo(settings, fetch)]);
  return { settings, cluster, systemInfo };
}
