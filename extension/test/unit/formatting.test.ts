import * as assert from 'assert';
import {
    failureMessage,
    formatLogExplanation,
    formatReplicaEstimate,
    formatTestResponse,
} from '../../src/formatting';

describe('result formatting', () => {
    it('shows the test response status, timing, headers and pretty JSON', () => {
        const text = formatTestResponse(
            {
                ok: true,
                status: 200,
                elapsedMs: 41.6,
                headers: { 'content-type': 'application/json' },
                body: '{"prediction":[12.0]}',
                json: { prediction: [12.0] },
            },
            'http://127.0.0.1:8000/score',
            'sample-request.json',
        );
        const lines = text.split('\n');
        assert.strictEqual(lines[0], '// POST http://127.0.0.1:8000/score -> HTTP 200 in 42 ms');
        assert.strictEqual(lines[1], '// request body: sample-request.json');
        assert.strictEqual(lines[2], '// content-type: application/json');
        assert.ok(text.includes('{\n  "prediction": [\n    12\n  ]\n}'));
    });

    it('pretty-prints a JSON body even without the parsed copy, and keeps text bodies', () => {
        assert.ok(
            formatTestResponse({ ok: false, status: 502, body: '{"a":1}' }, 'u', 'r').includes(
                '{\n  "a": 1\n}',
            ),
        );
        assert.ok(
            formatTestResponse(
                { ok: false, status: 500, body: 'Traceback ...' },
                'u',
                'r',
            ).includes('HTTP 500'),
        );
    });

    it('renders log findings as Markdown with the fix', () => {
        const markdown = formatLogExplanation({
            ok: true,
            findings: [
                {
                    code: 'AML401',
                    title: 'Key Vault access policy missing',
                    hint: 'Re-grant the workspace identity access to the Key Vault.',
                    evidence: 'HTTP 500 at image creation',
                    line: 12,
                },
            ],
        });
        assert.match(markdown, /## AML401: Key Vault access policy missing/);
        assert.match(markdown, /\*\*What to do:\*\* Re-grant/);
        assert.match(markdown, /Matched \(log line 12\):/);
        assert.match(formatLogExplanation({ ok: true, findings: [] }), /No known Azure ML failure/);
    });

    it('says what failed, why and what to do next', () => {
        assert.strictEqual(
            failureMessage('Building the debug image', {
                ok: false,
                error: 'Docker is not running.',
                hint: 'Start Docker Desktop.',
            }),
            'Azure ML: Building the debug image failed: Docker is not running. Start Docker Desktop.',
        );
        assert.strictEqual(
            failureMessage('Pulling base:1', {
                ok: false,
                error: 'not found',
                hint: 'Log in first.',
            }),
            'Azure ML: Pulling base:1 failed: not found. Log in first.',
        );
        assert.match(formatReplicaEstimate({ ok: true, replicas: 4 }), /about 4 replica/);
    });
});
