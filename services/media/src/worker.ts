import { runServiceProcess } from '@moim/kit';
import { service } from './service';

// The resize worker of production (image-resize and media's events); npm start runs it in process.
runServiceProcess(service, 'worker');
