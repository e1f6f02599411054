// Which project folder a command acts on: the folder of the file it was invoked on, else the
// active editor's file, else the (chosen) workspace folder.
import * as path from 'path';
import type { Uri, WorkspaceFolder } from 'vscode';
import {
    getActiveTextEditor,
    getWorkspaceFolder,
    getWorkspaceFolders,
    showErrorMessage,
    showQuickPick,
} from './common/vscodeapi';

export interface ProjectTarget {
    /** Folder holding the entry script / conda file: the `folder` option of engine commands. */
    projectDir: string;
    workspaceFolder: WorkspaceFolder;
}

const PROJECT_FILE = /^(score\.py|.*\.ya?ml|Dockerfile\.steps|sample-request\.json)$/i;

export function projectDirForFile(filePath: string, workspaceRoot: string): string {
    const dir = path.dirname(filePath);
    const relative = path.relative(workspaceRoot, dir);
    // A file outside the workspace folder acts on the workspace folder.
    return relative.startsWith('..') || path.isAbsolute(relative) ? workspaceRoot : dir;
}

export async function resolveProject(resource?: Uri): Promise<ProjectTarget | undefined> {
    const candidate =
        resource ??
        (() => {
            const document = getActiveTextEditor()?.document;
            return document &&
                document.uri.scheme === 'file' &&
                PROJECT_FILE.test(path.basename(document.uri.fsPath))
                ? document.uri
                : undefined;
        })();
    if (candidate && candidate.scheme === 'file') {
        const workspaceFolder = getWorkspaceFolder(candidate);
        if (workspaceFolder) {
            return {
                projectDir: projectDirForFile(candidate.fsPath, workspaceFolder.uri.fsPath),
                workspaceFolder,
            };
        }
    }
    const folders = getWorkspaceFolders();
    if (folders.length === 0) {
        void showErrorMessage('Azure ML: open the folder that holds score.py first.');
        return undefined;
    }
    if (folders.length === 1) {
        return { projectDir: folders[0].uri.fsPath, workspaceFolder: folders[0] };
    }
    const picked = await showQuickPick(
        folders.map((folder) => ({ label: folder.name, description: folder.uri.fsPath, folder })),
        { placeHolder: 'Which workspace folder holds the Azure ML project?' },
    );
    return picked
        ? { projectDir: picked.folder.uri.fsPath, workspaceFolder: picked.folder }
        : undefined;
}
