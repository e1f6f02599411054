// Reads the `amldebug.*` settings into one typed object: the shape the language server receives in
// initializationOptions.settings and the defaults the debug-loop commands pass as options.
// Every setting is resource-scoped: read them for the workspace folder a command acts on
// (`getSettings(folder.uri)`); the server pulls each folder's values itself (workspace/configuration
// with a scopeUri per folder), so a multi-root workspace never mixes two folders' settings.
import type { ConfigurationScope } from 'vscode';
import type { UpParams } from '../generated/contract';
import { getConfiguration } from './vscodeapi';

export type Runtime = 'auto' | 'docker' | 'process';

export interface AmlDebugSettings {
    interpreter: string[];
    baseImage: string;
    port: number;
    debugPort: number;
    bindAddress: string;
    caBundle: string;
    mountProject: boolean;
    reloadOnSave: boolean;
    runtime: Runtime;
    entryScript: string;
    condaFile: string;
    containerName: string;
    imageTag: string;
    select: string[];
    ignore: string[];
}

export const SETTINGS_SECTION = 'amldebug';

export const DEFAULT_SETTINGS: AmlDebugSettings = {
    interpreter: [],
    baseImage: '',
    port: 8000,
    debugPort: 5678,
    bindAddress: '127.0.0.1',
    caBundle: '',
    mountProject: true,
    reloadOnSave: true,
    runtime: 'auto',
    entryScript: '',
    condaFile: '',
    containerName: '',
    imageTag: '',
    select: [],
    ignore: [],
};

// Settings that execute or expose something; VS Code hides their workspace values in Restricted
// Mode (package.json `restrictedConfigurations` lists the same keys).
export const RESTRICTED_SETTINGS: readonly (keyof AmlDebugSettings)[] = [
    'interpreter',
    'baseImage',
    'caBundle',
    'runtime',
    'bindAddress',
];

export function getSettings(scope?: ConfigurationScope): AmlDebugSettings {
    const config = getConfiguration(SETTINGS_SECTION, scope);
    const read = <K extends keyof AmlDebugSettings>(key: K): AmlDebugSettings[K] =>
        config.get<AmlDebugSettings[K]>(key, DEFAULT_SETTINGS[key]);
    return {
        interpreter: read('interpreter'),
        baseImage: read('baseImage'),
        port: read('port'),
        debugPort: read('debugPort'),
        bindAddress: read('bindAddress'),
        caBundle: read('caBundle'),
        mountProject: read('mountProject'),
        reloadOnSave: read('reloadOnSave'),
        runtime: read('runtime'),
        entryScript: read('entryScript'),
        condaFile: read('condaFile'),
        containerName: read('containerName'),
        imageTag: read('imageTag'),
        select: read('select'),
        ignore: read('ignore'),
    };
}

/**
 * Options for `amldebug.build` / `amldebug.run` / `amldebug.up` derived from the settings of
 * `workspaceFolder`, the folder relative path settings (`condaFile: deploy/env.yml`) start from.
 * Empty strings are left out so the server's own defaults (and the deployment YAML) apply.
 */
export function debugLoopOptions(
    settings: AmlDebugSettings,
    folder: string,
    workspaceFolder?: string,
): UpParams {
    const options: UpParams = {
        folder,
        ...(workspaceFolder ? { workspaceFolder } : {}),
        port: settings.port,
        debugPort: settings.debugPort,
        bind: settings.bindAddress,
        mount: settings.mountProject,
        runtime: settings.runtime,
    };
    if (settings.baseImage) {
        options.baseImage = settings.baseImage;
    }
    if (settings.caBundle) {
        options.caBundle = settings.caBundle;
    }
    if (settings.condaFile) {
        options.condaFile = settings.condaFile;
    }
    if (settings.entryScript) {
        options.entryScript = settings.entryScript;
    }
    if (settings.containerName) {
        options.name = settings.containerName;
    }
    if (settings.imageTag) {
        options.tag = settings.imageTag;
    }
    return options;
}
