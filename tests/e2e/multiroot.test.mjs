// End-to-end: projects that are not the workspace folder (issue 11, item 1), in code-server.
// (a) `ws/` open, the project in `ws/deploy/`, `amldebug.condaFile: deploy/env.yml` in
//     ws/.vscode/settings.json: the diagnostics of deploy/score.py read ws/deploy/env.yml, and
//     "Generate launch.json" writes ws/.vscode/launch.json with localRoot ${workspaceFolder}/deploy.
// (b) a two-folder .code-workspace, each folder with its own amldebug.condaFile: each folder's
//     documents are checked against its own conda file, and launch.json goes into its own folder.
// Ports 18700-18799 are this file's (several test files may run code-server at once).
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { copyFixture, ensureVsix, Workbench } from './workbench.mjs';

const SUBFOLDER_PORT = 18701;
const TWO_FOLDER_PORT = 18702;

/** The Problems panel once it holds `message`; the panel lists every open document's problems. */
async function problemsShowing(workbench, message) {
    return workbench.problemsShowing(message).catch(async (error) => {
        await workbench.screenshot('problems-missing');
        throw error;
    });
}

async function generateLaunchJson(workbench, launchFile) {
    await workbench.dismissNotifications();
    await workbench.runCommand('Azure ML: Generate launch.json');
    return workbench
        .waitForFile(launchFile, (content) => content.includes('/var/azureml-app'))
        .catch(async (error) => {
            await workbench.screenshot('launch-json-missing');
            throw error;
        });
}

describe('a project in a sub-folder of the workspace folder', () => {
    let workbench;
    let workspace;

    after(async () => {
        await workbench?.close();
    });

    test('diagnostics of deploy/score.py use the conda file the setting names', async () => {
        workspace = copyFixture('subfolder-project');
        workbench = new Workbench(workspace, 'multiroot-subfolder', { port: SUBFOLDER_PORT });
        assert.match(workbench.installExtension(ensureVsix()), /successfully installed/);
        await workbench.start();
        await workbench.openFile(path.join(workspace, 'deploy', 'score.py'));
        // deploy/conda.yml (numpy in it) is what discovery alone would take: the setting wins,
        // resolved against ws/, not ws/deploy/ (no "deploy/deploy/env.yml does not exist").
        const problems = await problemsShowing(workbench, 'numpy is not in env.yml');
        await workbench.screenshot('subfolder-problems');
        assert.match(problems, /AML116/);
        assert.doesNotMatch(problems, /does not exist/);
    });

    test('"Generate launch.json" writes ws/.vscode/launch.json mapping ws/deploy', async () => {
        await workbench.openFile(path.join(workspace, 'deploy', 'score.py'));
        const text = await generateLaunchJson(
            workbench,
            path.join(workspace, '.vscode', 'launch.json'),
        );
        await workbench.screenshot('subfolder-launch-json');
        assert.match(text, /"localRoot":\s*"\$\{workspaceFolder\}\/deploy"/);
        assert.ok(!fs.existsSync(path.join(workspace, 'deploy', '.vscode')));
    });
});

describe('a two-folder workspace with a different setting in each folder', () => {
    let workbench;
    let root;

    after(async () => {
        await workbench?.close();
        fs.rmSync(root, { recursive: true, force: true, maxRetries: 3 });
    });

    test("each folder's documents are checked against that folder's conda file", async () => {
        root = copyFixture('two-folders');
        workbench = new Workbench(path.join(root, 'two.code-workspace'), 'multiroot-two-folders', {
            port: TWO_FOLDER_PORT,
        });
        assert.match(workbench.installExtension(ensureVsix()), /successfully installed/);
        await workbench.start();
        await workbench.openFile(path.join(root, 'a', 'deploy', 'score.py'));
        await workbench.openFile(path.join(root, 'b', 'deploy', 'score.py'));
        // Folder a says deploy/env.yml, folder b deploy/other.yml (neither has numpy): one
        // window-level setting for both would name the same file twice.
        await problemsShowing(workbench, 'numpy is not in other.yml');
        const problems = await problemsShowing(workbench, 'numpy is not in env.yml');
        await workbench.screenshot('two-folder-problems');
        assert.equal(problems.match(/AML116/g)?.length, 2);
    });

    test("launch.json goes into the active document's own folder", async () => {
        await workbench.openFile(path.join(root, 'b', 'deploy', 'score.py'));
        const text = await generateLaunchJson(
            workbench,
            path.join(root, 'b', '.vscode', 'launch.json'),
        );
        await workbench.screenshot('two-folder-launch-json');
        assert.match(text, /"localRoot":\s*"\$\{workspaceFolder\}\/deploy"/);
        assert.ok(!fs.existsSync(path.join(root, 'a', '.vscode', 'launch.json')));
    });
});
