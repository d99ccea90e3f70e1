/**
 * The Sigma rules in content/sigma/iis/ that the IIS simulation is meant to trigger, by id.
 * The manifest names, for every attack event, the rule that should detect it, so tests can
 * compare findings with intent. Keep in step with the rule files.
 */
export const IIS_RULES = {
  appcmdModuleInstall: { id: 'c3b8fdb6-eb7b-4e05-8ee5-fb64914a4d0a', file: 'proc_creation_appcmd_module_install.yml' },
  psWebGlobalModuleScript: { id: '8bcbb83a-77b5-460d-9db7-d4f4fd779f44', file: 'ps_script_webglobalmodule_cmdlets.yml' },
  psWebGlobalModuleProcess: { id: '6776578d-b1b2-48b3-9e8a-354ac09faccf', file: 'proc_creation_powershell_webglobalmodule.yml' },
  gacutilInstall: { id: '29c1dec2-9153-4698-bce4-9d3b797fe5cb', file: 'proc_creation_gacutil_install.yml' },
  psGacPublish: { id: 'fdbd2199-0ce9-4aaf-aca0-7aa7804ce9e6', file: 'ps_script_gac_publish_install.yml' },
  configGlobalModuleAdded: { id: '1151aa97-89ec-4503-9f90-5f4ae77e0f92', file: 'iis_configuration_global_module_added.yml' },
  moduleLoadFailed: { id: '26a8590d-d50a-40eb-8cfb-05518689333d', file: 'application_w3svc_module_load_failed.yml' },
  appcmdHttpLoggingDisabled: { id: '0eae192e-ffcc-49e8-b549-d0a41399ae97', file: 'proc_creation_appcmd_http_logging_disabled.yml' },
  psHttpLoggingDisabled: { id: '01382ce1-6417-4e82-a22a-8a70369dacdd', file: 'ps_script_http_logging_disabled.yml' },
} as const;

export type IisRuleKey = keyof typeof IIS_RULES;
