import t from 'tap';
import { pythonStrip } from '../../lib/text/python-strip.js';
t.equal(pythonStrip('  a \x1c'), 'a');
