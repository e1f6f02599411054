import * as assert from 'assert';
import { actionsForState, parseContainerState, presentState } from '../../src/containerState';

describe('container state presentation', () => {
    it('shows the scoring and debugger ports when the container is ready', () => {
        const shown = presentState({ state: 'ready', name: 'debug', port: 8001, debugPort: 5679 });
        assert.strictEqual(shown.text, '$(pass-filled) Azure ML: ready on :8001, debugger :5679');
        assert.match(shown.tooltip, /http:\/\/127\.0\.0\.1:8001\/score \(debug\)/);
        assert.strictEqual(shown.isError, false);
    });

    it('marks a crash as an error and says what happened', () => {
        const shown = presentState({ state: 'crashed', message: 'Worker failed to boot.' });
        assert.strictEqual(shown.text, '$(error) Azure ML: crashed');
        assert.match(shown.tooltip, /Worker failed to boot\./);
        assert.strictEqual(shown.isError, true);
    });

    it('spins while building and starting', () => {
        assert.match(presentState({ state: 'building' }).text, /sync~spin.*building/);
        assert.match(presentState({ state: 'starting' }).text, /sync~spin.*starting/);
    });

    it('offers the request, attach and stop actions only when ready', () => {
        const ready = actionsForState({ state: 'ready', debugPort: 5678 }).map((a) => a.command);
        assert.ok(ready.includes('azuremlDebug.sendTestRequest'));
        assert.ok(ready.includes('azuremlDebug.attach'));
        assert.ok(ready.includes('azuremlDebug.stopContainer'));
        const idle = actionsForState({ state: 'none' }).map((a) => a.command);
        assert.strictEqual(idle[0], 'azuremlDebug.debugInContainer');
        assert.ok(!idle.includes('azuremlDebug.sendTestRequest'));
    });

    it('points a crashed container at its logs and the log explainer', () => {
        const crashed = actionsForState({ state: 'crashed' }).map((a) => a.command);
        assert.deepStrictEqual(crashed.slice(0, 2), [
            'azuremlDebug.showLogs',
            'azuremlDebug.explainLog',
        ]);
    });

    it('reads the containerState notification and ignores unknown states and wrong types', () => {
        assert.deepStrictEqual(
            parseContainerState({ name: 'debug', state: 'ready', port: 8000, debugPort: '5678' }),
            {
                state: 'ready',
                name: 'debug',
                port: 8000,
                debugPort: undefined,
                runtime: undefined,
                message: undefined,
                image: undefined,
            },
        );
        assert.strictEqual(parseContainerState({ state: 'exploded' }).state, 'none');
        assert.strictEqual(parseContainerState(null).state, 'none');
    });
});
