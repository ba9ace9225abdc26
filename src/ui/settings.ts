/**
 * `/api/v1/settings`: what the official ui-server tells the UI about itself (PascalCase, as its
 * Go struct serialises). Features the frontend cannot do are switched off here, so the UI hides
 * their buttons instead of offering an action that fails.
 */
export interface FrontendFeatures {
  /** Workflow reset and batch operations: both frontends have both (the embedded engine since issue 16). */
  reset: boolean;
  batch: boolean;
}

export interface SettingsInput {
  defaultNamespace: string;
  uiVersion: string;
  features: FrontendFeatures;
}

export function settingsJson({ defaultNamespace, uiVersion, features }: SettingsInput): Record<string, unknown> {
  return {
    // The UI's own login (OIDC) stays off: Durafax guards the whole server (see access.ts).
    Auth: { Enabled: false, Options: null },
    BannerText: '',
    DefaultNamespace: defaultNamespace,
    ShowTemporalSystemNamespace: false,
    FeedbackURL: '',
    NotifyOnNewVersion: false,
    Codec: { Endpoint: '', PassAccessToken: false, IncludeCredentials: false, DefaultErrorMessage: '', DefaultErrorLink: '' },
    // The UI encodes URL parameters differently before 2.23: it must know its own version.
    Version: uiVersion,
    DisableWriteActions: false,
    WorkflowTerminateDisabled: false,
    WorkflowCancelDisabled: false,
    WorkflowSignalDisabled: false,
    WorkflowUpdateDisabled: false,
    WorkflowResetDisabled: !features.reset,
    BatchActionsDisabled: !features.batch,
    // A fax workflow started by hand would have no document and no database row: faxes start
    // from the web tier only.
    StartWorkflowDisabled: true,
    HideWorkflowQueryErrors: false,
    RefreshWorkflowCountsDisabled: false,
  };
}

/**
 * What the frontend (named by its GetClusterInfo cluster id) can do. The embedded engine
 * (`durafax-engine`) now resets workflows and runs batch operations as a real server does, so
 * every frontend gets both; the cluster id stays the place to switch off what one lacks.
 */
export function featuresOf(_clusterId: string | null | undefined): FrontendFeatures {
  return { reset: true, batch: true };
}
