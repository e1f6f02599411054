// Writes the launch.json text the language server computed (`amldebug.launchConfig`) through a
// WorkspaceEdit, so the change is undoable and the rest of the file, comments included, stays as is.
import { parse as parseJsonc, type ParseError } from 'jsonc-parser';
import * as vscode from 'vscode';
import { applyEdit, fileExists, openTextDocument } from './common/vscodeapi';

export const CONTAINER_APP_ROOT = '/var/azureml-app';

export interface TextReplacement {
    start: number;
    end: number;
    text: string;
}

/** The smallest single replacement that turns `before` into `after` (common prefix and suffix kept). */
export function minimalReplacement(before: string, after: string): TextReplacement | undefined {
    if (before === after) {
        return undefined;
    }
    let prefix = 0;
    const shorter = Math.min(before.length, after.length);
    while (prefix < shorter && before[prefix] === after[prefix]) {
        prefix++;
    }
    let suffix = 0;
    while (
        suffix < shorter - prefix &&
        before[before.length - 1 - suffix] === after[after.length - 1 - suffix]
    ) {
        suffix++;
    }
    return {
        start: prefix,
        end: before.length - suffix,
        text: after.slice(prefix, after.length - suffix),
    };
}

export interface AttachConfiguration {
    name: string;
    type: string;
    request: 'attach';
    [key: string]: unknown;
}

/** The attach configuration for the debug container in a launch.json text, if there is one. */
export function findAttachConfiguration(
    launchText: string,
    debugPort?: number,
): AttachConfiguration | undefined {
    const errors: ParseError[] = [];
    const parsed: unknown = parseJsonc(launchText, errors, { allowTrailingComma: true });
    if (!parsed || typeof parsed !== 'object') {
        return undefined;
    }
    const configurations = (parsed as { configurations?: unknown }).configurations;
    if (!Array.isArray(configurations)) {
        return undefined;
    }
    const candidates = configurations.filter((entry): entry is AttachConfiguration => {
        if (!entry || typeof entry !== 'object') {
            return false;
        }
        const c = entry as Record<string, unknown>;
        const mapsAppRoot =
            Array.isArray(c.pathMappings) &&
            c.pathMappings.some(
                (m: unknown) =>
                    !!m &&
                    typeof m === 'object' &&
                    (m as Record<string, unknown>).remoteRoot === CONTAINER_APP_ROOT,
            );
        return (
            c.request === 'attach' &&
            (c.type === 'debugpy' || c.type === 'python') &&
            typeof c.name === 'string' &&
            mapsAppRoot
        );
    });
    const portOf = (c: AttachConfiguration): unknown =>
        (c.connect as { port?: unknown } | undefined)?.port ?? c.port;
    return (
        candidates.find((c) => debugPort === undefined || portOf(c) === debugPort) ?? candidates[0]
    );
}

/** The configuration used when launch.json has none (e.g. the user declined writing it). */
export function defaultAttachConfiguration(
    localRoot: string,
    debugPort: number,
    host = '127.0.0.1',
): AttachConfiguration {
    return {
        name: 'Azure ML: Attach to debug container',
        type: 'debugpy',
        request: 'attach',
        connect: { host, port: debugPort },
        pathMappings: [{ localRoot, remoteRoot: CONTAINER_APP_ROOT }],
        justMyCode: false,
    };
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged' | 'refused';

/** Applies `newText` to the file at `uri` as one undoable edit and saves it. */
export async function writeThroughWorkspaceEdit(
    uri: vscode.Uri,
    newText: string,
): Promise<WriteOutcome> {
    const edit = new vscode.WorkspaceEdit();
    let outcome: WriteOutcome;
    if (await fileExists(uri)) {
        const document = await openTextDocument(uri);
        const replacement = minimalReplacement(document.getText(), newText);
        if (!replacement) {
            return 'unchanged';
        }
        edit.replace(
            uri,
            new vscode.Range(
                document.positionAt(replacement.start),
                document.positionAt(replacement.end),
            ),
            replacement.text,
        );
        outcome = 'updated';
    } else {
        edit.createFile(uri, { ignoreIfExists: true });
        edit.insert(uri, new vscode.Position(0, 0), newText);
        outcome = 'created';
    }
    if (!(await applyEdit(edit))) {
        return 'refused';
    }
    const document = await openTextDocument(uri);
    await document.save();
    return outcome;
}
