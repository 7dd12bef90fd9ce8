// Where AppAPI releases differ, and how. Every version-dependent behaviour of the simulator asks this module;
// each difference names the source it was read from (nextcloud/app_api tags, nextcloud/server files).
//
// A release is selected as `startSimulator({ appApiVersion: '32.0.9' })`: the version is the git tag of
// nextcloud/app_api without its "v" (tags follow the Nextcloud server release AppAPI ships with).

export type RouteMatching =
  /**
   * AppAPI <= 32.0.8 / <= 33.0.2 (ExAppProxyController::passesExAppProxyRoutesChecks):
   * `preg_match('/' . $url . '/i', $path)` against the path WITHOUT its leading slash. Unanchored; an unescaped
   * `/` inside the url ends the pattern early, PHP warns "Unknown modifier" and preg_match returns false.
   */
  | 'slash-delimited-bare-path'
  /**
   * AppAPI 32.0.9 / 33.0.3: `preg_match('~^(?:' . str_replace('~', '\~', $url) . ')~i', $path)`, still against the
   * path WITHOUT its leading slash (commit "first match by path+verb wins").
   */
  | 'anchored-bare-path'
  /**
   * AppAPI >= 32.0.10 / >= 33.0.4 / 34 / 35: the same anchored pattern against '/' . $path first, then (deprecated
   * "legacy bare-path fallback", per route) against the bare path.
   */
  | 'anchored-leading-slash';

export interface AppApiGeneration {
  /** The release played, e.g. '32.0.9' (git tag of nextcloud/app_api without "v"). */
  release: string;
  major: 32 | 33 | 34 | 35;
  minor: number;
  patch: number;
  /**
   * What AppAPI reports as its own version: appinfo/info.xml <version>, sent as AA-VERSION, injected as
   * AA_VERSION and shown in the capabilities. It is 32.0.0 for every 32.0.x tag, 33.0.0 for 33.0.x, 34.0.0 for
   * 34.0.x (app_api v32.0.5…v34.0.3 appinfo/info.xml); main says 35.0.0-dev.1, a 35 release is assumed to say 35.0.0.
   */
  reportedVersion: string;
  /** The Nextcloud server release this AppAPI tag belongs to (tags follow server releases). */
  server: { major: number; minor: number; micro: number; string: string };
  phpProxy: {
    matching: RouteMatching;
    /**
     * true from 32.0.9 / 33.0.3: the first route matching path and verb decides, and its access level is final
     * ("First match by path+verb wins. Apply its access level without falling through to broader routes.").
     * false before: the access check is part of the loop condition, so a route the caller may not use is skipped
     * and a later, broader route can match (app_api v32.0.8 ExAppProxyController.php:313-323).
     */
    firstMatchDecides: boolean;
    /**
     * Routes are read ordered by their id only from 32.0.9 / 33.0.3 (ExAppMapper `->addOrderBy('r.id', 'ASC')`);
     * before, the database's order applies (the simulator keeps insertion order either way).
     */
    routesOrderedById: boolean;
    /**
     * From 32.0.10 / 33.0.4 prepareProxy refuses a `..` segment (plain or %2e/%2f encoded) with a 404
     * (`#(?:^|/|%2[fF])(?:\.|%2[eE]){2}(?:/|%2[fF]|$)#`); before, such a path is matched and forwarded.
     */
    refusesDotDotSegments: boolean;
  };
  manifest: {
    /**
     * 35 (ExAppRouteHelper::normalizeAndValidate, tag v35.0.0beta1): routes are validated; an invalid one aborts
     * registration with a message. <= 34 (ExAppService::getAppInfo, ExAppMapper::registerExAppRoutes): XML access
     * levels are mapped by exact name (anything else becomes a null route, whose insert fails), JSON values are
     * stored as given, list fields are coerced silently.
     */
    strictRouteValidation: boolean;
    /**
     * 35 decodes `<headers_to_exclude>["x"]</headers_to_exclude>`; <= 34 keeps the field only when it is already an
     * array, so the XML text is stored as [] (stable34 ExAppMapper::registerExAppRoutes).
     */
    headersToExcludeFromXml: boolean;
    /**
     * < 35: an empty `<default></default>` / `<default/>` survives the simplexml/json round trip as [] and is
     * passed to the container as `NAME=Array` (sprintf('%s=%s') in DockerActions::buildDeployEnvs). 35 drops it
     * (ExAppEnvVarsHelper, fix e009b0d3).
     */
    emptyDefaultBecomesArray: boolean;
    /**
     * 35 normalises `environment-variables` for --json-info too (moved from the JSON root, ExAppService.php:264-268,
     * fix e0c015ac) and applies --env to them. <= 34 handles declared variables and --env only for info.xml.
     */
    environmentVariablesFromJsonInfo: boolean;
  };
  auth: {
    /**
     * From 33.0.1 (AppAPIService::isExemptFromEnabledCheck) a disabled ExApp may still call `ex-app/status` while
     * its status type is install/update; 32.x exempts only `ex-app/state` (v32.0.14 AppAPIService.php:310).
     */
    statusExemptWhileInitializing: boolean;
  };
  daemons: {
    /** 34+ warns when a Docker Socket Proxy daemon (docker-install without --harp) is registered (RegisterDaemon). */
    dspDeprecationWarning: boolean;
  };
}

export const DEFAULT_APPAPI_VERSION = '35.0.0';

/** The generation of an AppAPI release such as '32.0.5', '33.0.3', '34.0.3' or '35.0.0'. */
export function appApiGeneration(version: string = DEFAULT_APPAPI_VERSION): AppApiGeneration {
  const match = /^v?(\d+)\.(\d+)\.(\d+)(?:[-.+].*)?$/.exec(version.trim());
  if (!match) throw new Error(`Not an AppAPI version: ${JSON.stringify(version)} (expected e.g. 32.0.9)`);
  const [major, minor, patch] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (major < 32 || major > 35) throw new Error(`The simulator models AppAPI 32 to 35 (Nextcloud 32 to 35), not ${version}`);
  const at = (m32: number, m33: number) => major > 33 || (major === 32 && patch >= m32) || (major === 33 && patch >= m33);
  const matching: RouteMatching = at(10, 4) ? 'anchored-leading-slash' : at(9, 3) ? 'anchored-bare-path' : 'slash-delimited-bare-path';
  const release = `${major}.${minor}.${patch}`;
  return {
    release,
    major: major as AppApiGeneration['major'],
    minor,
    patch,
    reportedVersion: `${major}.0.0`,
    server: { major, minor, micro: patch, string: release },
    phpProxy: {
      matching,
      firstMatchDecides: matching !== 'slash-delimited-bare-path',
      routesOrderedById: matching !== 'slash-delimited-bare-path',
      refusesDotDotSegments: matching === 'anchored-leading-slash',
    },
    manifest: {
      strictRouteValidation: major >= 35,
      headersToExcludeFromXml: major >= 35,
      emptyDefaultBecomesArray: major < 35,
      environmentVariablesFromJsonInfo: major >= 35,
    },
    auth: { statusExemptWhileInitializing: major > 33 || (major === 33 && patch >= 1) },
    daemons: { dspDeprecationWarning: major >= 34 },
  };
}
