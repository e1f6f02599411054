// End-to-end against the real Docker engine, tried as a new user would: a fresh code-server
// profile with the VSIX installed opens a folder holding ONLY score.py and a conda file (no
// deployment YAML, no model, no sample request). "Debug in Container" builds the debug image, runs
// it and brings the status bar to "ready"; "Send Test Request" offers to create
// sample-request.json and shows the served response; saving an edit to score.py reloads it and the
// next request answers with the new code; "Stop Debug Container" leaves no container behind.
// One session and one image build serve all of these, to keep CI time down. Skipped (with the
// reason) when no engine or base image is there: .ci/setup-docker.sh provides both.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { copyFixture, ensureVsix, freePort, Workbench } from './workbench.mjs';

const BASE_IMAGE = process.env.AMLDEBUG_TEST_BASE_IMAGE ?? 'amldebug-test/python-base:bookworm';
const RUN_ID = `${process.pid}`;
const CONTAINER = `amldebug-e2e-${RUN_ID}`;
const IMAGE = `amldebug-e2e:${RUN_ID}`;

function dockerUnavailable() {
    try {
        execFileSync('docker', ['image', 'inspect', BASE_IMAGE], { stdio: 'ignore' });
        return false;
    } catch {
        return `no Docker engine or no base image ${BASE_IMAGE}; run .ci/setup-docker.sh`;
    }
}

/** Names of the containers (running or not) called CONTAINER. */
function containersNamed(name) {
    return execFileSync(
        'docker',
        ['ps', '-a', '--filter', `name=^${name}$`, '--format', '{{.Names}}'],
        {
            encoding: 'utf8',
        },
    )
        .split('\n')
        .filter(Boolean);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const skip = dockerUnavailable();
let workbench;
let workspace;
let port;

before(async () => {
    if (skip) {
        return;
    }
    workspace = copyFixture('new-user-project');
    assert.deepEqual(fs.readdirSync(workspace).sort(), ['conda.yml', 'score.py']);
    port = await freePort();
    // What this machine needs (a local base image, the proxy's CA, free ports) goes into the
    // user's profile, so the folder stays exactly what a new user brings.
    const settings = {
        'amldebug.baseImage': BASE_IMAGE,
        'amldebug.caBundle': 'auto',
        'amldebug.runtime': 'docker',
        'amldebug.port': port,
        'amldebug.debugPort': await freePort(),
        'amldebug.containerName': CONTAINER,
        'amldebug.imageTag': IMAGE,
        // The edit below is typed into the editor: no auto-closing or auto-indenting under it.
        'editor.autoClosingBrackets': 'never',
        'editor.autoClosingQuotes': 'never',
        'editor.autoIndent': 'none',
    };
    workbench = new Workbench(workspace, 'docker');
    workbench.installExtension(ensureVsix(), settings);
    await workbench.start();
});

after(async () => {
    await workbench?.close();
    if (!skip) {
        execFileSync('docker', ['rm', '-f', CONTAINER], { stdio: 'ignore' });
        execFileSync('docker', ['rmi', '-f', IMAGE], { stdio: 'ignore' });
    }
});

test('Debug in Container builds, runs and reports ready in the status bar', { skip }, async () => {
    await workbench.statusBarMatching('Azure ML', 90_000);
    await workbench.openFile('score.py');
    await workbench.runCommand('Azure ML: Debug in Container');
    await workbench.screenshot('debug-in-container-started');
    const ready = await workbench
        .statusBarMatching(`ready on :${port}`, 420_000)
        .catch(async (error) => {
            await workbench.screenshot('debug-in-container-failed');
            throw error;
        });
    await workbench.screenshot('container-ready');
    assert.match(ready, new RegExp(`Azure ML: ready on :${port}`));
    const running = execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', CONTAINER], {
        encoding: 'utf8',
    });
    assert.equal(running.trim(), 'true');
    // The server computed launch.json; the extension wrote it through a WorkspaceEdit.
    const launch = await workbench.waitForFile(
        path.join(workspace, '.vscode', 'launch.json'),
        (text) => text.includes('/var/azureml-app'),
    );
    assert.match(launch, /"request":\s*"attach"/);
});

test(
    'Send Test Request offers to create sample-request.json and shows the served prediction',
    { skip },
    async () => {
        await workbench.dismissNotifications();
        await workbench.runCommand('Azure ML: Send Test Request');
        await workbench.notificationMatching(/no sample-request\.json found/, 30_000);
        await workbench.screenshot('offer-sample-request');
        await workbench.clickNotificationButton('Create sample-request.json');
        const sample = await workbench.waitForFile(
            path.join(workspace, 'sample-request.json'),
            (text) => text.includes('"data"'),
        );
        assert.deepEqual(JSON.parse(sample), { data: [[1.0, 2.0, 3.0, 4.0]] });
        const text = await workbench.editorTextMatching(/HTTP 200/, 60_000).catch(async (error) => {
            await workbench.screenshot('test-request-failed');
            throw error;
        });
        await workbench.screenshot('test-request-response');
        assert.match(text, /POST http:\/\/127\.0\.0\.1:\d+\/score -> HTTP 200 in \d+ ms/);
        // score.py sums each row: 1 + 2 + 3 + 4.
        assert.match(text, /"predictions":\s*\[\s*10(\.0)?\s*\]/);
    },
);

test(
    'saving an edit to score.py reloads it: the next request runs the new code',
    { skip },
    async () => {
        const scorePy = path.join(workspace, 'score.py');
        const line =
            fs
                .readFileSync(scorePy, 'utf8')
                .split('\n')
                .indexOf('    return {"predictions": [sum(row) for row in rows]}') + 1;
        assert.ok(line > 0, 'the return line of run() is where the fixture has it');
        // The response document of the previous request may hold the focus: close every editor
        // so that score.py is the one active editor, and retry the edit if it did not land.
        for (let attempt = 1; attempt <= 3; attempt++) {
            await workbench.runCommand('View: Close All Editors').catch(() => undefined);
            await workbench.openFile('score.py');
            await workbench.goToLine(line, 5);
            await workbench.page.keyboard.press('Shift+End');
            await workbench.page.keyboard.insertText(
                'return {"predictions": [sum(row) for row in rows], "reloaded": True}',
            );
            await workbench.page.keyboard.press('Control+S');
            const saved = await workbench
                .waitForFile(scorePy, (text) => text.includes('"reloaded": True'), 15_000)
                .then(() => true)
                .catch(() => false);
            if (saved) {
                break;
            }
            await workbench.screenshot(`score-py-edit-attempt-${attempt}-missed`);
            assert.ok(attempt < 3, 'the edit to score.py was saved');
        }
        await workbench.screenshot('score-py-edited');
        // Reload on save restarts the server in the background: ask until the new code answers.
        let text = '';
        for (let attempt = 1; attempt <= 8 && !/"reloaded":\s*true/.test(text); attempt++) {
            await workbench.dismissNotifications();
            await workbench.runCommand('Azure ML: Send Test Request');
            text = await workbench.editorTextMatching(/"reloaded":\s*true/, 10_000).catch(() => '');
            if (!text) {
                await sleep(2000);
            }
        }
        await workbench.screenshot('test-request-after-reload');
        assert.match(text, /HTTP 200/);
        // Monaco keeps only the lines in view, not always in order: check each part on its own.
        assert.match(text, /"predictions":\s*\[\s*10(\.0)?\s*\]/);
        assert.match(text, /"reloaded":\s*true/);
        await workbench.statusBarMatching(`ready on :${port}`, 60_000);
    },
);

test(
    'Stop Debug Container brings the status bar back and leaves no container',
    { skip },
    async () => {
        await workbench.dismissNotifications();
        await workbench.runCommand('Azure ML: Stop Debug Container');
        const stopped = await workbench.statusBarMatching('Azure ML: stopped', 60_000);
        await workbench.screenshot('container-stopped');
        assert.doesNotMatch(stopped, /ready/);
        await workbench.notificationMatching(/debug container stopped/, 30_000);
        assert.deepEqual(containersNamed(CONTAINER), []);
    },
);

test(
    'a failing image build is shown in the Problems panel on the conda line',
    { skip },
    async () => {
        const conda = path.join(workspace, 'conda.yml');
        const broken = fs
            .readFileSync(conda, 'utf8')
            .replace(
                '      - azureml-inference-server-http==1.5.1\n',
                '      - azureml-inference-server-http==1.5.1\n      - amldebug-no-such-package==9.9.9\n',
            );
        fs.writeFileSync(conda, broken);
        await workbench.dismissNotifications();
        await workbench.runCommand('Azure ML: Debug in Container');
        const problems = await workbench.problemsShowing('The image build failed here', 420_000);
        await workbench.screenshot('build-failure-in-problems');
        assert.match(problems, /conda\.yml/);
        assert.match(problems, /amldebug-no-such-package/);
        assert.match(problems, /Ln 9/);
    },
);
