import { runServiceProcess } from '@moim/kit';
import { service } from './service';

runServiceProcess(service, 'api');
